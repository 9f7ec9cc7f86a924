package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/membudget"
)

// metrics are the server's instruments, named
// warden_<subsystem>_<what>_<unit>.
type metrics struct {
	requests        *CounterVec   // route, code
	requestDuration *HistogramVec // route
	accepted        *CounterVec   // source, kind
	duplicates      *CounterVec   // source, kind
	rejected        *CounterVec   // source, kind
	decisions       *CounterVec   // verdict
	decisionFails   *CounterVec   // failure
	decideDuration  *HistogramVec
	decideBatch     *HistogramVec
	storeErrors     *CounterVec // operation
	authFailures    *CounterVec // code
	authThrottled   *CounterVec
	retentionRuns   *CounterVec // result
	retentionDelete *CounterVec
	memInUse        *GaugeVec
	memBudget       *GaugeVec
	memPeak         *GaugeVec
	memWaits        *CounterVec
	memRefusals     *CounterVec

	memMu   sync.Mutex
	memLast membudget.Stats // the counters as last exported
}

// Record kinds and sources of the ingest metrics.
const (
	kindEvent       = "event"
	kindMetricPoint = "metric_point"

	sourceOTLPHTTP = "otlp_http"
	sourceOTLPGRPC = "otlp_grpc"
	sourceAudit    = "audit"
	sourceDecision = "decision"
)

func newMetrics(r *Registry) *metrics {
	return &metrics{
		requests: r.Counter("warden_http_requests_total",
			"HTTP requests answered, by route and status code.", "route", "code"),
		requestDuration: r.Histogram("warden_http_request_duration_seconds",
			"Time to answer an HTTP request, by route.", DefBuckets, "route"),
		accepted: r.Counter("warden_ingest_accepted_total",
			"Records stored for the first time, by source (otlp_http, otlp_grpc, audit, decision) and kind (event, metric_point).", "source", "kind"),
		duplicates: r.Counter("warden_ingest_duplicates_total",
			"Records received again (same id) and skipped, by source and kind.", "source", "kind"),
		rejected: r.Counter("warden_ingest_rejected_total",
			"Records refused as invalid and dropped (the rest of their batch kept), by source and kind.", "source", "kind"),
		decisions: r.Counter("warden_decision_verdicts_total",
			"Central decisions answered, by verdict (deny, ask, allow, none).", "verdict"),
		decisionFails: r.Counter("warden_decision_failures_total",
			"Central decisions answered deny because Warden could not decide normally, by failure.", "failure"),
		decideDuration: r.Histogram("warden_decision_duration_seconds",
			"Time to answer a central decision, recording included.", DefBuckets),
		decideBatch: r.Histogram("warden_decision_batch_events",
			"Decision records stored per transaction by the group-commit writer.", []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}),
		storeErrors: r.Counter("warden_store_errors_total",
			"Store operations that failed, by operation or route.", "operation"),
		authFailures: r.Counter("warden_auth_failures_total",
			"Requests refused for their token, by code (unauthorized, forbidden, unavailable).", "code"),
		authThrottled: r.Counter("warden_auth_throttled_total",
			"Requests refused without checking their token because their source address failed authentication too often (429)."),
		retentionRuns: r.Counter("warden_retention_runs_total",
			"Retention runs, by result (ok, error).", "result"),
		retentionDelete: r.Counter("warden_retention_deleted_total",
			"Events and metric points deleted by retention."),
		memInUse: r.Gauge("warden_ingest_memory_bytes",
			"Bytes reserved now by request bodies from the ingest memory budget."),
		memBudget: r.Gauge("warden_ingest_memory_budget_bytes",
			"The ingest memory budget (3/8 of memory_budget_mib)."),
		memPeak: r.Gauge("warden_ingest_memory_peak_bytes",
			"The most bytes reserved at once from the ingest memory budget since start."),
		memWaits: r.Counter("warden_ingest_memory_waits_total",
			"Requests that waited for room in the ingest memory budget."),
		memRefusals: r.Counter("warden_ingest_memory_refusals_total",
			"Requests answered busy (503, Retry-After) or too large for want of room in the ingest memory budget."),
	}
}

// observeBudget exports the memory budget's state, at scrape time.
func (m *metrics) observeBudget(b *membudget.Budget) {
	st := b.Stats()
	m.memMu.Lock()
	defer m.memMu.Unlock()
	m.memInUse.Set(float64(st.InUse))
	m.memPeak.Set(float64(st.Peak))
	m.memBudget.Set(float64(b.Total()))
	m.memWaits.Add(float64(st.Waits - m.memLast.Waits))
	m.memRefusals.Add(float64(st.Refusals - m.memLast.Refusals))
	m.memLast = st
}

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
		s.metrics.storeErrors.Inc("ping")
		return &Error{Code: EUnavailable, Message: "store unavailable", Cause: err}
	}
	if err := s.store.ProbeWrite(ctx); err != nil {
		s.metrics.storeErrors.Inc("probe_write")
		return &Error{Code: EUnavailable, Message: "store cannot be written", Cause: err}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// serveMetrics writes the registry in the Prometheus text format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	s.metrics.observeBudget(s.budget)
	w.Header().Set("Content-Type", ContentType)
	return s.reg.WriteText(w)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
