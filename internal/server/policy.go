package server

import (
	"net/http"
	"strconv"
	"strings"
)

// servePolicy is GET /v1/policy: the policy bundle this server decides
// with (stored with store.PutPolicy at start), as YAML. The ETag is the
// quoted SHA-256 of the YAML, also in X-Warden-Policy-Sha256; a request
// whose If-None-Match names it gets 304 and no body, so hooks can poll
// cheaply.
func (s *Server) servePolicy(w http.ResponseWriter, r *http.Request) error {
	b := s.overlays.bundle.Load()
	if b == nil {
		return Errorf(EUnavailable, "policy not stored yet")
	}
	etag := `"` + b.SHA256 + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("X-Warden-Policy-Sha256", b.SHA256)
	h.Set("X-Warden-Policy-Name", b.Name)
	h.Set("X-Warden-Policy-Version", strconv.FormatInt(b.Version, 10))
	h.Set("Cache-Control", "no-cache")
	if etagMatch(r.Header.Get("If-None-Match"), b.SHA256) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/yaml")
	h.Set("Content-Length", strconv.Itoa(len(b.YAML)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b.YAML)
	}
	return nil
}

// etagMatch reports whether an If-None-Match value names the entity tag
// whose opaque value is sum: "*", or a list of tags compared weakly (a W/
// prefix is ignored, as RFC 9110 says for If-None-Match).
func etagMatch(header, sum string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' && strings.EqualFold(t[1:len(t)-1], sum) {
			return true
		}
	}
	return false
}
