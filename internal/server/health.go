package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// serveHealthz answers 200 while the process runs.
func (s *Server) serveHealthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// serveReadyz answers 200 when the store answers and accepts a write
// (store.ProbeWrite) within 2 s, else 503: a database that answers but
// cannot be written loses every record sent here.
func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.metrics.storeErrors.WithLabelValues("ping").Inc()
		return &Error{Code: EUnavailable, Message: "store unavailable", Cause: err}
	}
	if err := s.store.ProbeWrite(ctx); err != nil {
		s.metrics.storeErrors.WithLabelValues("probe_write").Inc()
		return &Error{Code: EUnavailable, Message: "store cannot be written", Cause: err}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
