package server

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wardenhq/warden/internal/membudget"
	"github.com/wardenhq/warden/internal/record"
)

// metrics are the server's instruments, named
// warden_<subsystem>_<what>_<unit>.
type metrics struct {
	requests        *prometheus.CounterVec   // route, code
	requestDuration *prometheus.HistogramVec // route
	accepted        *prometheus.CounterVec   // source, kind
	duplicates      *prometheus.CounterVec   // source, kind
	rejected        *prometheus.CounterVec   // source, kind
	decisions       *prometheus.CounterVec   // verdict
	decisionFails   *prometheus.CounterVec   // failure
	decideDuration  prometheus.Histogram
	decideBatch     prometheus.Histogram
	storeErrors     *prometheus.CounterVec // operation
	authFailures    *prometheus.CounterVec // code
	authThrottled   prometheus.Counter
	retentionRuns   *prometheus.CounterVec // result
	retentionDelete prometheus.Counter
	auditVerified   prometheus.Counter
	auditUnverified *prometheus.CounterVec // reason
	enrollments     *prometheus.CounterVec // result
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

// latencyBuckets are the bounds, in seconds, of the latency histograms:
// from 0.5 ms (a central decision answered from memory) to 10 s.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// newMetrics makes the server's instruments, and those reading the
// ingest memory budget, and registers them with reg (none when reg is
// nil). The series of every label value known in advance start at zero,
// so that a rate or an alert on them has a series before the first event.
func newMetrics(reg prometheus.Registerer, budget *membudget.Budget) (*metrics, error) {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &metrics{
		requests: counter("warden_http_requests_total",
			"HTTP requests answered, by route and status code.", "route", "code"),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "warden_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route.", Buckets: latencyBuckets}, []string{"route"}),
		accepted: counter("warden_ingest_accepted_total",
			"Records stored for the first time, by source (otlp_http, otlp_grpc, audit, decision) and kind (event, metric_point).", "source", "kind"),
		duplicates: counter("warden_ingest_duplicates_total",
			"Records received again (same id) and skipped, by source and kind.", "source", "kind"),
		rejected: counter("warden_ingest_rejected_total",
			"Records refused as invalid and dropped (the rest of their batch kept), by source and kind.", "source", "kind"),
		decisions: counter("warden_decision_verdicts_total",
			"Central decisions answered, by verdict (deny, ask, allow, none).", "verdict"),
		decisionFails: counter("warden_decision_failures_total",
			"Central decisions answered deny because Warden could not decide normally, by failure.", "failure"),
		decideDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "warden_decision_duration_seconds",
			Help: "Time to answer a central decision, recording included.", Buckets: latencyBuckets}),
		decideBatch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "warden_decision_batch_events",
			Help: "Decision records stored per transaction by the group-commit writer.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}}),
		storeErrors: counter("warden_store_errors_total",
			"Store operations that failed, by operation or route.", "operation"),
		authFailures: counter("warden_auth_failures_total",
			"Requests refused for their token, by code (unauthorized, forbidden, unavailable).", "code"),
		authThrottled: prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_auth_throttled_total",
			Help: "Requests refused (429) without checking their token because their source address failed authentication too often."}),
		retentionRuns: counter("warden_retention_runs_total",
			"Retention runs, by result (ok, error).", "result"),
		retentionDelete: prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_retention_deleted_total",
			Help: "Events and metric points deleted by retention."}),
		auditVerified: prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_audit_verified_total",
			Help: "Hook audit events stored as verified: signed by a live enrolled device and continuing its chain."}),
		auditUnverified: counter("warden_audit_unverified_total",
			"Hook audit events stored marked unverified, by reason (unsigned, bad_signature, unknown_device, revoked_device, device_mismatch, chain_gap, chain_fork).", "reason"),
		enrollments: counter("warden_device_enrollments_total",
			"Device enrollments, by result (ok, refused).", "result"),
	}
	for _, r := range record.UnverifiedReasons {
		m.auditUnverified.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "refused"} {
		m.enrollments.WithLabelValues(r)
	}
	for _, sk := range [][2]string{
		{sourceOTLPHTTP, kindEvent}, {sourceOTLPHTTP, kindMetricPoint}, {sourceOTLPGRPC, kindEvent},
		{sourceOTLPGRPC, kindMetricPoint}, {sourceAudit, kindEvent}, {sourceDecision, kindEvent},
	} {
		m.accepted.WithLabelValues(sk[:]...)
		m.duplicates.WithLabelValues(sk[:]...)
		m.rejected.WithLabelValues(sk[:]...)
	}
	for _, v := range []string{record.DecisionDeny, record.DecisionAsk, record.DecisionAllow, record.DecisionNone} {
		m.decisions.WithLabelValues(v)
	}
	for _, f := range []string{failureUnauthorized, record.FailureInputTooLarge, record.FailureInputInvalid, record.FailurePolicyLoad,
		record.FailurePanic, record.FailureTimeout, record.FailureDecide} {
		m.decisionFails.WithLabelValues(f)
	}
	for _, op := range []string{"ping", "probe_write", "append_events", "append_metrics", "append_decisions", "quarantine", "retention"} {
		m.storeErrors.WithLabelValues(op)
	}
	for _, c := range []string{EUnauthorized, EForbidden, EUnavailable} {
		m.authFailures.WithLabelValues(c)
	}
	for _, r := range []string{"ok", "error"} {
		m.retentionRuns.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	stat := func(f func(membudget.Stats) int64) func() float64 {
		return func() float64 { return float64(f(budget.Stats())) }
	}
	for _, c := range []prometheus.Collector{m.requests, m.requestDuration, m.accepted, m.duplicates, m.rejected,
		m.decisions, m.decisionFails, m.decideDuration, m.decideBatch, m.storeErrors, m.authFailures,
		m.authThrottled, m.retentionRuns, m.retentionDelete, m.auditVerified, m.auditUnverified, m.enrollments,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_ingest_memory_bytes",
			Help: "Bytes reserved now by request bodies from the ingest memory budget."},
			stat(func(s membudget.Stats) int64 { return s.InUse })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_ingest_memory_peak_bytes",
			Help: "The most bytes reserved at once from the ingest memory budget since start."},
			stat(func(s membudget.Stats) int64 { return s.Peak })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_ingest_memory_budget_bytes",
			Help: "The ingest memory budget (3/8 of memory_budget_mib)."},
			func() float64 { return float64(budget.Total()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_ingest_memory_waits_total",
			Help: "Requests that waited for room in the ingest memory budget."},
			stat(func(s membudget.Stats) int64 { return int64(s.Waits) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_ingest_memory_refusals_total",
			Help: "Requests answered busy (503, Retry-After) or too large for want of room in the ingest memory budget."},
			stat(func(s membudget.Stats) int64 { return int64(s.Refusals) })),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// newRegistry is the registry of a server given none: its own metrics,
// and the Go runtime's and the process's, which operators expect of any
// Go service.
func newRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// metricsHandler serves g in the exposition format the scraper asks for
// (the text format by default); a metric that cannot be gathered fails the
// scrape with 500 and is logged.
func metricsHandler(g prometheus.Gatherer, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: promLogger{log}, ErrorHandling: promhttp.HTTPErrorOnError})
}

// promLogger adapts the logger to promhttp's.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error("metrics: " + fmt.Sprint(v...)) }

// serveMetrics answers GET /metrics.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	s.metricsHTTP.ServeHTTP(w, r)
	return nil
}
