// Package server is Warden's control plane, `warden serve`: one HTTP
// listener for the JSON API, OTLP/HTTP ingest, hook audit ingest, central
// decisions for Claude Code's HTTP hooks, policy distribution and the web
// console (package console, mounted at /), and one
// gRPC listener for OTLP/gRPC, all behind bearer tokens with scopes.
//
// It composes the other layers and adds only wiring: store (where
// everything is kept), otlp (decoding telemetry), hook and engine
// (deciding as the local hook does), policy (what decides), record (run
// records). Its one file of its own is the decision journal beside a
// SQLite store (journal.go). engine, policy and shell must never import it
// (archtest).
// Handlers are func(w, r) error with one adapter that maps error codes to
// statuses and never shows a client an internal cause; logger, clock,
// randomness and metrics registry are injected. Lifecycle: New validates
// and builds, Start listens, Shutdown drains; Shutdown is safe after a
// failed or partial Start.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/wardenhq/warden/internal/console"
	"github.com/wardenhq/warden/internal/membudget"
	"github.com/wardenhq/warden/internal/otlp"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Options are a Server's configuration and dependencies.
type Options struct {
	// Config is validated by New.
	Config Config
	// Store is where everything is kept; the caller opens and closes it.
	Store store.Store
	// Policy decides central decisions; PolicyYAML is its document as
	// distributed by GET /v1/policy (for the baseline,
	// policy.BaselineYAML()).
	Policy     *policy.Policy
	PolicyYAML []byte
	// PolicyDiff is how the console compares two stored policy revisions
	// (warden serve gives the settings compiler's diff); zero leaves the
	// comparison to tier presence.
	PolicyDiff console.PolicyDiff
	// Logger receives JSON logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Rand is the randomness of event IDs (crypto/rand when nil).
	Rand io.Reader
	// Metrics receives the server's metrics and is served at /metrics;
	// nil means a registry of its own, which also holds the Go runtime's
	// and the process's metrics.
	Metrics *prometheus.Registry
	// Writers is how many transactions may store decision records at
	// once (default 1; a few for PostgreSQL, whose group commit gains
	// from concurrent transactions). Unused with Journal.
	Writers int
	// Journal, when set, is the file through which decision records
	// reach the store (see journal): for SQLite, whose single writer
	// would otherwise commit once per decision. Empty: each decision
	// waits for its group commit.
	Journal string
	// JournalInterval is the longest an event waits in the journal when
	// nothing flushes it sooner (0: 20 ms).
	JournalInterval time.Duration
	// Rules loads the detection rules, at New and on every reload (SIGHUP,
	// POST /api/v1/rules/reload); nil turns detection off.
	Rules RulesLoader
	// WebhookSecret keys the HMAC signature of alert notifications to
	// Config.AlertWebhookURL.
	WebhookSecret []byte
	// AlertsOTLPToken is the bearer token of Config.AlertsOTLPEndpoint.
	AlertsOTLPToken string
}

// Server is a running or runnable Warden control plane.
type Server struct {
	cfg    Config
	store  store.Store
	policy *policy.Policy
	yaml   []byte
	pdiff  console.PolicyDiff
	log    *slog.Logger
	now    func() time.Time
	rand   io.Reader
	reg    *prometheus.Registry

	metrics     *metrics
	metricsHTTP http.Handler
	budget      *membudget.Budget
	auth        *authenticator
	qcache      *quarantineCache
	engines     atomic.Pointer[engines]
	overlays    overlayState
	pkey        pauseKey
	writer      decisionWriter
	deciders    *deciders
	tls         *tls.Config
	console     *console.Console
	handler     http.Handler
	detector    *detector
	conflicts   *conflictCounter
	devLocks    deviceLocks
	contacts    contactNotes

	mu       sync.Mutex
	httpSrv  *http.Server
	grpcSrv  *grpc.Server
	httpLn   net.Listener
	grpcLn   net.Listener
	stop     context.CancelFunc // background work: retention, batcher
	bg       sync.WaitGroup
	serveErr chan error
	started  bool
	shutdown bool
}

// Limits on request bodies.
const (
	// MaxAuditBodyBytes bounds a POST /v1/audit body as received.
	MaxAuditBodyBytes = 8 << 20
	// MaxAuditDecodedBytes bounds it after gzip.
	MaxAuditDecodedBytes = 64 << 20
	// MaxOTLPBodyBytes bounds an OTLP/HTTP body as received.
	MaxOTLPBodyBytes = 8 << 20
	// MaxJSONBodyBytes bounds the small JSON bodies of the admin API.
	MaxJSONBodyBytes = 64 << 10
)

// New validates the configuration and the policy and builds a server. It
// opens no listener (Start does) and touches the store only through
// Start and requests.
func New(opts Options) (*Server, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.Store == nil {
		return nil, errors.New("server: no store")
	}
	if opts.Policy == nil || len(opts.PolicyYAML) == 0 {
		return nil, errors.New("server: no policy")
	}
	s := &Server{
		cfg:    opts.Config,
		store:  opts.Store,
		policy: opts.Policy,
		yaml:   opts.PolicyYAML,
		pdiff:  opts.PolicyDiff,
		log:    opts.Logger,
		now:    opts.Now,
		rand:   opts.Rand,
		reg:    opts.Metrics,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With(LogKeyComponent, "server")
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.reg == nil {
		s.reg = newRegistry()
	}
	if err := store.ValidatePolicy(s.policy.Name, s.yaml, sha256Hex(s.yaml)); err != nil {
		return nil, fmt.Errorf("policy %s: %w", s.policy.Name, err)
	}
	eng, err := newEngines(s.policy, s.cfg.Tier, s.now)
	if err != nil {
		return nil, &ValidationError{Fields: []*FieldError{{Field: "tier", Message: err.Error()}}}
	}
	s.engines.Store(eng)
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return nil, &ValidationError{Fields: []*FieldError{{Field: "tls_cert", Message: "cannot load the key pair: " + err.Error()}}}
		}
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	s.budget = membudget.New(s.cfg.IngestBudget(), membudget.DefaultMaxWait)
	if s.metrics, err = newMetrics(s.reg, s.budget); err != nil {
		return nil, err
	}
	s.metricsHTTP = metricsHandler(s.reg, s.log)
	s.auth = newAuthenticator(s.store, s.now)
	s.qcache = newQuarantineCache(s.now)
	onCommit := func(events, inserted int, err error) {
		s.metrics.decideBatch.Observe(float64(events))
		if err != nil {
			s.metrics.storeErrors.WithLabelValues("append_decisions").Inc()
			return
		}
		s.metrics.accepted.WithLabelValues(sourceDecision, kindEvent).Add(float64(inserted))
		s.metrics.duplicates.WithLabelValues(sourceDecision, kindEvent).Add(float64(events - inserted))
	}
	if opts.Journal != "" {
		j := newJournal(s.store, opts.Journal, s.log)
		j.onCommit = onCommit
		if opts.JournalInterval > 0 {
			j.interval = opts.JournalInterval
		}
		s.writer = j
	} else {
		b := newBatcher(s.store, max(opts.Writers, 1))
		b.onCommit = onCommit
		s.writer = b
	}
	s.deciders = newDeciders()
	if opts.Rules != nil {
		if err := s.newDetector(opts); err != nil {
			return nil, err
		}
	}
	s.conflicts = newConflictCounter(s)
	if s.console, err = s.newConsole(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP handler (every route), for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Start stores the policy bundle (store.PutPolicy), replays the decision
// journal left by an earlier run, opens the listeners and serves in the
// background until Shutdown. Listener errors after
// Start are reported by Wait.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("server: already started")
	}
	s.started = true

	bundle, err := s.servePolicyWithOverlays(ctx)
	if err != nil {
		return err
	}
	if err := s.writer.open(ctx); err != nil {
		return err
	}

	bgCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.deciders.start(bgCtx, max(8, 4*runtime.GOMAXPROCS(0)))
	s.serveErr = make(chan error, 2)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.writer.run(bgCtx)
	}()

	var lc net.ListenConfig
	if s.httpLn, err = lc.Listen(ctx, "tcp", s.cfg.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.tls,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.cfg.GRPCAddr != "" {
		if s.grpcLn, err = lc.Listen(ctx, "tcp", s.cfg.GRPCAddr); err != nil {
			return fmt.Errorf("listen on %s: %w", s.cfg.GRPCAddr, err)
		}
		svc := otlp.NewGRPCService(&ingestSink{s: s, source: sourceOTLPGRPC}, otlp.GRPCOptions{
			Decoder:  s.decoder(),
			Logger:   s.log,
			Auth:     s.grpcAuth,
			Budget:   s.budget,
			Rejected: s.otlpRejected(sourceOTLPGRPC),
			Now:      s.now,
		})
		gopts := svc.ServerOptions()
		if s.tls != nil {
			gopts = append(gopts, grpc.Creds(credentials.NewTLS(s.tls)))
		}
		s.grpcSrv = grpc.NewServer(gopts...)
		svc.Register(s.grpcSrv)
	}

	go func() {
		var err error
		if s.tls != nil {
			err = s.httpSrv.ServeTLS(s.httpLn, "", "")
		} else {
			err = s.httpSrv.Serve(s.httpLn)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- fmt.Errorf("serve http: %w", err)
		}
	}()
	if s.grpcSrv != nil {
		go func() {
			if err := s.grpcSrv.Serve(s.grpcLn); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				s.serveErr <- fmt.Errorf("serve grpc: %w", err)
			}
		}()
	}
	if d := s.detector; d != nil {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			d.run(bgCtx)
		}()
		for _, n := range []*notifier{d.notify, d.otlp} {
			if n != nil {
				s.bg.Add(1)
				go func() {
					defer s.bg.Done()
					n.run(bgCtx)
				}()
			}
		}
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.overlayLoop(bgCtx)
	}()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.conflicts.run(bgCtx)
	}()
	if s.cfg.RetentionDays > 0 {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			s.retentionLoop(bgCtx)
		}()
	}
	s.warnPlain(s.httpLn.Addr())
	if s.grpcLn != nil {
		s.warnPlain(s.grpcLn.Addr())
	}
	attrs := []any{LogKeyAddr, s.httpLn.Addr().String(), "tls", s.tls != nil,
		"policy", s.policy.Name, "policy_revision", s.policy.Revision, "policy_version", bundle.Version,
		"retention_days", s.cfg.RetentionDays}
	if s.grpcLn != nil {
		attrs = append(attrs, "grpc_addr", s.grpcLn.Addr().String())
	}
	s.log.Info("serving", attrs...)
	return nil
}

// warnPlain warns when the server listens without TLS on an address
// other machines can reach.
func (s *Server) warnPlain(a net.Addr) {
	if s.tls == nil && !loopback(a) {
		s.log.Warn("serving plain HTTP on an address that is not loopback: bearer tokens and telemetry "+
			"travel in clear text; set tls_cert and tls_key, or listen on 127.0.0.1 behind a proxy that terminates TLS",
			LogKeyAddr, a.String())
	}
}

// loopback reports whether a listener's address is a loopback one, which
// no other machine can reach (0.0.0.0 and :: are not).
func loopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// Addr is the HTTP listener's address once started ("" before).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpLn == nil {
		return ""
	}
	return s.httpLn.Addr().String()
}

// GRPCAddr is the gRPC listener's address once started ("" without gRPC).
func (s *Server) GRPCAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grpcLn == nil {
		return ""
	}
	return s.grpcLn.Addr().String()
}

// Wait blocks until ctx ends or a listener fails, returning the failure.
func (s *Server) Wait(ctx context.Context) error {
	s.mu.Lock()
	errc := s.serveErr
	s.mu.Unlock()
	if errc == nil {
		return errors.New("server: not started")
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

// Shutdown stops accepting requests and waits for those in flight (HTTP
// Shutdown, gRPC GracefulStop) until ctx ends, when it closes what is
// left; then it stops background work, committing pending decision
// records. It is safe after a failed or partial Start, and more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil
	}
	s.shutdown = true
	httpSrv, grpcSrv, httpLn, grpcLn := s.httpSrv, s.grpcSrv, s.httpLn, s.grpcLn
	s.mu.Unlock()

	var errs []error
	var wg sync.WaitGroup
	if grpcSrv != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan struct{})
			go func() { grpcSrv.GracefulStop(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				grpcSrv.Stop()
				<-done
			}
		}()
	} else if grpcLn != nil {
		grpcLn.Close()
	}
	switch {
	case httpSrv != nil:
		if err := httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain http: %w", err))
			httpSrv.Close()
		}
	case httpLn != nil:
		httpLn.Close()
	}
	wg.Wait()
	if s.stop != nil {
		s.stop()
	}
	s.bg.Wait()
	if s.detector != nil {
		if err := s.detector.export.close(); err != nil {
			errs = append(errs, fmt.Errorf("close alert export: %w", err))
		}
	}
	if len(errs) == 0 {
		s.log.Info("stopped")
	}
	return errors.Join(errs...)
}

// Run starts the server and serves until ctx ends (SIGINT, SIGTERM), then
// shuts down within the configured timeout.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		s.Shutdown(context.Background())
		return err
	}
	err := s.Wait(ctx)
	if err == nil {
		s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(err, s.Shutdown(sctx))
}

// decoder is the OTLP decoder of both receivers.
func (s *Server) decoder() *otlp.Decoder {
	return otlp.NewDecoder(otlp.Options{KeepContent: s.cfg.KeepContent, Now: s.now, MaxRecordBytes: store.MaxEventBytes})
}

// Scopes accepted per route.
var (
	scopesIngest = []string{record.ScopeIngest}
	scopesRead   = []string{record.ScopeRead}
	scopesAdmin  = []string{record.ScopeAdmin}
	scopesPolicy = []string{record.ScopeRead, record.ScopeIngest}
	scopesEnroll = []string{record.ScopeEnroll}
)

// routes builds the handler. Each route is instrumented under its name
// (the metrics' route label), checks the method (405 with a JSON error
// otherwise) and then the token's scope.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	add := func(pattern, route string, methods []string, scopes []string, h http.Handler) {
		if scopes != nil {
			h = s.requireScope(route, scopes, h)
		}
		mux.Handle(pattern, s.instrument(route, allowMethods(methods, h)))
	}
	get, post := []string{http.MethodGet, http.MethodHead}, []string{http.MethodPost}

	add("/healthz", "healthz", get, nil, s.adapt("healthz", s.serveHealthz))
	add("/readyz", "readyz", get, nil, s.adapt("readyz", s.serveReadyz))
	add("/metrics", "metrics", get, scopesRead, s.adapt("metrics", s.serveMetrics))

	h := otlp.NewHandler(&ingestSink{s: s, source: sourceOTLPHTTP}, otlp.HandlerOptions{
		Decoder: s.decoder(), Logger: s.log, MaxBodyBytes: MaxOTLPBodyBytes, Budget: s.budget,
		Rejected: s.otlpRejected(sourceOTLPHTTP), Now: s.now,
	})
	// The OTLP handler answers other methods itself, with a google.rpc.Status.
	add(otlp.PathLogs, "otlp_logs", nil, scopesIngest, h.Logs())
	add(otlp.PathMetrics, "otlp_metrics", nil, scopesIngest, h.Metrics())
	add("/v1/audit", "audit", post, scopesIngest, s.adapt("audit", s.serveAudit))
	// Central decisions authenticate inside: every answer is a 2xx decision.
	add("/v1/hooks/claude-code", "decide", post, nil, http.HandlerFunc(s.serveDecide))
	add("/v1/policy", "policy", get, scopesPolicy, s.adapt("policy", s.servePolicy))
	add(QuarantinesPath, "quarantines", get, scopesPolicy, s.adapt("quarantines", s.serveQuarantines))
	add(PausesPath, "pauses", get, scopesPolicy, s.adapt("pauses", s.servePauses))
	add(EnrollPath, "enroll", post, scopesEnroll, s.adapt("enroll", s.serveEnroll))
	add("/api/v1/devices", "devices", get, scopesRead, s.adapt("devices", s.serveDevices))
	add("/api/v1/devices/{id}/revoke", "device_revoke", post, scopesAdmin, s.adapt("device_revoke", s.serveDeviceRevoke))
	add("/api/v1/devices/{id}/scans", "device_scans", get, scopesRead, s.adapt("device_scans", s.serveDeviceScans))
	add("POST "+ScansPath, "scan_report", nil, scopesIngest, s.adapt("scan_report", s.serveScanReport))
	add("GET "+ScansPath, "scans", nil, scopesRead, s.adapt("scans", s.serveScans))
	add(ScansPath, "scans_method", []string{http.MethodGet, http.MethodHead, http.MethodPost}, nil, http.NotFoundHandler())

	add("/api/v1/sessions", "sessions", get, scopesRead, s.adapt("sessions", s.serveSessions))
	add("/api/v1/sessions/{id}", "session", get, scopesRead, s.adapt("session", s.serveSession))
	add("/api/v1/sessions/{id}/record", "record", get, scopesRead, s.adapt("record", s.serveRecord))
	add("/api/v1/sessions/{id}/events", "events", get, scopesRead, s.adapt("events", s.serveEvents))
	add("GET /api/v1/sessions/{id}/quarantine", "quarantine_get", nil, scopesRead, s.adapt("quarantine_get", s.serveQuarantineGet))
	add("POST /api/v1/sessions/{id}/quarantine", "quarantine_set", nil, scopesAdmin, s.adapt("quarantine_set", s.serveQuarantineSet))
	add("DELETE /api/v1/sessions/{id}/quarantine", "quarantine_release", nil, scopesAdmin, s.adapt("quarantine_release", s.serveQuarantineRelease))
	// The quarantine path with another method: 405, not the catch-all 404.
	add("/api/v1/sessions/{id}/quarantine", "quarantine", []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete}, nil, http.NotFoundHandler())
	add("GET /api/v1/alerts", "alerts", nil, scopesRead, s.adapt("alerts", s.serveAlerts))
	add("GET /api/v1/alerts/{id}", "alert", nil, scopesRead, s.adapt("alert", s.serveAlert))
	add("POST /api/v1/alerts/{id}/status", "alert_status", nil, scopesAdmin, s.adapt("alert_status", s.serveAlertStatus))
	add("GET /api/v1/overlays", "overlays", nil, scopesRead, s.adapt("overlays", s.serveOverlays))
	add("POST /api/v1/overlays", "overlay_add", nil, scopesAdmin, s.adapt("overlay_add", s.serveOverlayAdd))
	add("DELETE /api/v1/overlays/{id}", "overlay_remove", nil, scopesAdmin, s.adapt("overlay_remove", s.serveOverlayRemove))
	add("GET /api/v1/overlays/log", "overlay_log", nil, scopesRead, s.adapt("overlay_log", s.serveOverlayLog))
	add("POST /api/v1/pauses/resume", "pause_resume", nil, scopesAdmin, s.adapt("pause_resume", s.serveResume))
	add("GET /api/v1/rules", "rules", nil, scopesRead, s.adapt("rules", s.serveRules))
	add("POST /api/v1/rules/reload", "rules_reload", nil, scopesAdmin, s.adapt("rules_reload", s.serveRulesReload))
	// The web console: HTML pages at /, /sessions, /policy, signed in
	// with a token (package console).
	for _, r := range s.console.Routes() {
		add(r.Pattern, r.Name, nil, nil, r.Handler)
	}
	add("/", "not_found", nil, nil, s.adapt("not_found", func(w http.ResponseWriter, r *http.Request) error {
		return Errorf(ENotFound, "no such endpoint %s", sanitizePath(r.URL.Path))
	}))
	return mux
}

// allowMethods answers 405 with a JSON error for methods not in methods
// (nil allows all).
func allowMethods(methods []string, next http.Handler) http.Handler {
	if methods == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(methods, r.Method) {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, r, Errorf(EMethodNotAllowed, "method %s not allowed, use %s", r.Method, strings.Join(methods, " or ")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sanitizePath bounds and cleans a path for an error message.
func sanitizePath(p string) string {
	if len(p) > 128 {
		p = p[:128] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, p)
}
