package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Detection in the server. Ingest only marks the sessions whose events it
// stored (a map insert, never a wait); a background loop evaluates each
// marked session's stored events against the rules every DetectInterval
// and records what fires.
//
// State lives in the store, not in this process: the window and sequence
// state of a session is its stored events, which the evaluator reads
// again (a pure function of events and a watermark), and each firing is
// recorded once by its fingerprint (store.RecordAlert). So a restart loses
// nothing (the sessions active within the rules' longest window are
// evaluated again at start) and replicas on one PostgreSQL need no leader:
// two replicas evaluating the same session compute the same fingerprints,
// the store records the firing once, and only the replica whose record
// created it runs the rule's responses. The cost is re-reading a session's
// events per evaluation, bounded by coalescing marks per interval.

// Defaults of detection.
const (
	// DefaultDetectInterval is how often marked sessions are evaluated.
	DefaultDetectInterval = time.Second
	// DefaultDetectLateness is how long the server waits for a session's
	// late events (telemetry batches, shipped spools) before an absence
	// rule counts an event as missing.
	DefaultDetectLateness = 2 * time.Minute
	// groupEvalEvery is how many intervals pass between evaluations of the
	// rules grouped by user, device or repository, which read several
	// sessions.
	groupEvalEvery = 30
	// maxGroupSessions bounds the sessions one group evaluation reads.
	maxGroupSessions = 20
	// maxGroupMembers bounds the recent sessions remembered per group.
	maxGroupMembers = 1000
	// maxDirty bounds the sessions waiting for evaluation; beyond it new
	// marks are dropped (and counted) until the loop catches up.
	maxDirty = 100_000
)

// RulesLoader loads and validates a rule set, for start and reload.
type RulesLoader func() (*detect.Set, error)

type detectMetrics struct {
	hits      *prometheus.CounterVec // rule, severity: new firings recorded
	opened    *prometheus.CounterVec // rule, severity: new alerts opened
	responses *prometheus.CounterVec // action, result
	evals     prometheus.Counter
	evalTime  prometheus.Histogram
	errors    *prometheus.CounterVec // stage
	dropped   prometheus.Counter
	deferred  prometheus.Counter
	rules     prometheus.Gauge
	reloads   *prometheus.CounterVec // result
}

func newDetectMetrics(reg prometheus.Registerer) (*detectMetrics, error) {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &detectMetrics{
		hits: counter("warden_detect_firings_total",
			"Rule firings recorded for the first time (repeats grouped into an alert count), by rule and severity.", "rule", "severity"),
		opened: counter("warden_detect_alerts_opened_total",
			"Alerts opened, by rule and severity.", "rule", "severity"),
		responses: counter("warden_detect_responses_total",
			"Automatic responses, by action (quarantine, notify, export) and result (ok, error, dropped).", "action", "result"),
		evals: prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_detect_evaluations_total",
			Help: "Session and group evaluations run."}),
		evalTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "warden_detect_evaluation_duration_seconds",
			Help: "Time to evaluate one session or group, reading its events included.", Buckets: latencyBuckets}),
		errors: counter("warden_detect_errors_total",
			"Detection steps that failed, by stage (read, record).", "stage"),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_detect_marks_dropped_total",
			Help: "Sessions not marked for evaluation because too many were waiting."}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_detect_deferred_total",
			Help: "Session evaluations put off to the next run because a run spent its time budget (a quarter of detect_interval)."}),
		rules: prometheus.NewGauge(prometheus.GaugeOpts{Name: "warden_detect_rules",
			Help: "Detection rules loaded."}),
		reloads: counter("warden_detect_reloads_total",
			"Rule reloads, by result (ok, error: the old rules stay).", "result"),
	}
	for _, r := range []string{"ok", "error"} {
		m.reloads.WithLabelValues(r)
	}
	for _, st := range []string{"read", "record"} {
		m.errors.WithLabelValues(st)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.hits, m.opened, m.responses, m.evals, m.evalTime, m.errors, m.dropped, m.deferred, m.rules, m.reloads} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register detection metrics: %w", err)
		}
	}
	return m, nil
}

// detector evaluates marked sessions against the rules.
type detector struct {
	s        *Server
	log      *slog.Logger
	m        *detectMetrics
	load     RulesLoader
	rules    atomic.Pointer[detect.Set]
	reloadMu sync.Mutex
	interval time.Duration
	lateness time.Duration
	// budget is the time one run may spend evaluating (a quarter of the
	// interval); 0 is unbounded (tests).
	budget time.Duration
	notify *notifier
	otlp   *notifier
	export *jsonlExport

	mu    sync.Mutex
	dirty map[string]bool
	// due holds sessions to evaluate again once their time comes: an
	// absence rule's window still open.
	due map[string]time.Time
	// groups are the user, device and repository values of sessions
	// evaluated since the last group evaluation.
	groups map[groupKey]bool
	// members are, per group, the sessions evaluated recently with their
	// last event time: what a group evaluation reads (pruned to the rules'
	// longest window).
	members map[groupKey]map[string]time.Time
}

type groupKey struct{ by, value string }

// mark queues the sessions of events for evaluation. It never blocks on
// anything but a map insert.
func (d *detector) mark(events []record.Event) {
	if d == nil || len(events) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	last := ""
	for i := range events {
		sid := events[i].SessionID
		if sid == "" || sid == last {
			continue
		}
		last = sid
		if d.dirty[sid] {
			continue
		}
		if len(d.dirty) >= maxDirty {
			d.m.dropped.Inc()
			continue
		}
		d.dirty[sid] = true
	}
}

// take returns the sessions to evaluate now, sorted.
func (d *detector) take(now time.Time) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.dirty))
	for sid := range d.dirty {
		out = append(out, sid)
	}
	clear(d.dirty)
	for sid, at := range d.due {
		if !now.Before(at) {
			out = append(out, sid)
			delete(d.due, sid)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// run evaluates marked sessions every interval until ctx ends, after
// marking the sessions active within the rules' longest window (what a
// restart would otherwise miss).
func (d *detector) run(ctx context.Context) {
	d.resume(ctx)
	every(ctx, d.interval, func(tick int) {
		d.evaluate(ctx)
		if tick%groupEvalEvery == 0 {
			d.evaluateGroups(ctx)
		}
		if tick%baselineEvalEvery == 1 {
			d.evaluateBaselines(ctx)
		}
	})
}

// every calls f every d until ctx ends, with the tick's number from 1:
// the server's background loops.
func every(ctx context.Context, d time.Duration, f func(tick int)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f(tick)
	}
}

// resume marks the sessions active within the longest rule window.
func (d *detector) resume(ctx context.Context) {
	set := d.rules.Load()
	if set == nil {
		return
	}
	since := d.s.now().Add(-set.MaxWindow() - d.lateness)
	f := store.SessionFilter{Since: since, Limit: store.MaxLimit}
	for {
		page, err := d.s.store.ListSessions(ctx, f)
		if err != nil {
			d.m.errors.WithLabelValues("read").Inc()
			d.log.Warn("detection: cannot list recent sessions to resume", LogKeyError, err)
			return
		}
		d.mu.Lock()
		for _, sum := range page.Sessions {
			d.dirty[sum.SessionID] = true
		}
		d.mu.Unlock()
		if page.Next == "" {
			return
		}
		f.Cursor = page.Next
	}
}

// evaluate runs the rules over every session marked since the last run.
func (d *detector) evaluate(ctx context.Context) {
	set := d.rules.Load()
	if set == nil {
		return
	}
	now := d.s.now()
	sessions := d.take(now)
	if len(sessions) == 0 {
		return
	}
	if err := d.s.writer.sync(ctx); err != nil {
		d.log.Warn("detection: decision records not flushed", LogKeyError, err)
	}
	start := time.Now()
	for i, sid := range sessions {
		if ctx.Err() != nil {
			return
		}
		if d.budget > 0 && time.Since(start) > d.budget {
			// Out of this interval's CPU budget: the rest wait for the
			// next run, so detection never takes more than its share
			// from ingest however much arrives.
			d.mu.Lock()
			for _, rest := range sessions[i:] {
				d.dirty[rest] = true
			}
			d.mu.Unlock()
			d.m.deferred.Add(float64(len(sessions) - i))
			return
		}
		d.evaluateSession(ctx, set, sid, now)
	}
}

func (d *detector) evaluateSession(ctx context.Context, set *detect.Set, sid string, now time.Time) {
	start := time.Now()
	defer func() { d.m.evals.Inc(); d.m.evalTime.Observe(time.Since(start).Seconds()) }()
	events, err := d.s.store.SessionEvents(ctx, sid)
	if err != nil {
		if store.ErrorCode(err) != store.ENotFound {
			d.m.errors.WithLabelValues("read").Inc()
			d.log.Warn("detection: cannot read session", "session", sid, LogKeyError, err)
		}
		return
	}
	if len(events) == 0 {
		return
	}
	wm := now.Add(-d.lateness)
	alerts := set.Evaluate(events, detect.Options{Watermark: wm, GroupBy: "session"})
	d.record(ctx, alerts)
	// An absence window still open: evaluate again when it closes.
	var last time.Time
	for i := range events {
		if events[i].Time.After(last) {
			last = events[i].Time
		}
	}
	if w := set.MaxAbsence(); w > 0 {
		if due := last.Add(w + d.lateness); due.After(now) {
			d.mu.Lock()
			if len(d.due) < maxDirty {
				d.due[sid] = due.Add(time.Second)
			}
			d.mu.Unlock()
		}
	}
	if set.HasGroupRules() {
		ctxs := detect.SessionContext(events)
		d.mu.Lock()
		for by, v := range ctxs {
			if v == "" || len(d.groups) >= maxDirty {
				continue
			}
			g := groupKey{by, v}
			d.groups[g] = true
			m := d.members[g]
			if m == nil {
				m = map[string]time.Time{}
				d.members[g] = m
			}
			if _, ok := m[sid]; ok || len(m) < maxGroupMembers {
				m[sid] = last
			}
		}
		d.mu.Unlock()
	}
}

// evaluateGroups runs the rules grouped by user, device or repository
// over the recent sessions of each group that had new events since the
// last run. A group's sessions are those whose own events named it (the
// session's user, device, repository as the rules see them), active within
// the rules' longest window, the most recent maxGroupSessions of them.
func (d *detector) evaluateGroups(ctx context.Context) {
	set := d.rules.Load()
	if set == nil || !set.HasGroupRules() {
		return
	}
	now := d.s.now()
	since := now.Add(-set.MaxWindow() - d.lateness)
	type work struct {
		g        groupKey
		sessions []string
	}
	d.mu.Lock()
	var todo []work
	for g := range d.groups {
		var ss []string
		for sid, last := range d.members[g] {
			if last.Before(since) {
				delete(d.members[g], sid)
				continue
			}
			ss = append(ss, sid)
		}
		m := d.members[g]
		slices.SortFunc(ss, func(a, b string) int {
			if c := m[b].Compare(m[a]); c != 0 {
				return c
			}
			return compareStrings(a, b)
		})
		if len(ss) > maxGroupSessions {
			ss = ss[:maxGroupSessions]
		}
		todo = append(todo, work{g, ss})
	}
	clear(d.groups)
	for g, m := range d.members {
		if len(m) == 0 {
			delete(d.members, g)
		}
	}
	d.mu.Unlock()
	slices.SortFunc(todo, func(a, b work) int {
		if a.g.by != b.g.by {
			return compareStrings(a.g.by, b.g.by)
		}
		return compareStrings(a.g.value, b.g.value)
	})
	for _, w := range todo {
		if ctx.Err() != nil {
			return
		}
		start := time.Now()
		var events []record.Event
		for _, sid := range w.sessions {
			evs, err := d.s.store.SessionEvents(ctx, sid)
			if err != nil {
				d.m.errors.WithLabelValues("read").Inc()
				continue
			}
			events = append(events, evs...)
		}
		alerts := set.Evaluate(events, detect.Options{Watermark: now.Add(-d.lateness), GroupBy: w.g.by})
		// Sessions of the group also carry other groups' events: keep the
		// alerts of this group.
		alerts = slices.DeleteFunc(alerts, func(a detect.Alert) bool { return a.Group != w.g.value })
		d.record(ctx, alerts)
		d.m.evals.Inc()
		d.m.evalTime.Observe(time.Since(start).Seconds())
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// record stores each alert's firing and runs the rule's responses for the
// firings this call recorded first.
func (d *detector) record(ctx context.Context, alerts []detect.Alert) {
	for _, a := range alerts {
		res, err := d.s.store.RecordAlert(ctx, record.AlertHit{Rule: a.Rule, Title: a.Title, Severity: a.Severity,
			GroupBy: a.GroupBy, Group: a.Group, SessionID: a.SessionID, UserID: a.UserID, Device: a.Device,
			Repository: a.Repository, EventIDs: a.EventIDs, First: a.First, Last: a.Last, Fingerprint: a.Fingerprint})
		if err != nil {
			d.m.errors.WithLabelValues("record").Inc()
			d.log.Error("detection: cannot record alert", "rule", a.Rule, LogKeyError, err)
			continue
		}
		if !res.NewHit {
			continue
		}
		d.m.hits.WithLabelValues(a.Rule, a.Severity).Inc()
		if res.NewAlert {
			d.m.opened.WithLabelValues(a.Rule, a.Severity).Inc()
			d.log.Warn("alert opened", "alert", res.Alert.ID, "rule", a.Rule, "severity", a.Severity, "session", a.SessionID)
		}
		if a.Response.Quarantine && a.SessionID != "" {
			d.quarantine(ctx, a, res.Alert)
		}
		if a.Response.RevokeMCPServer && a.MCPServer != "" {
			d.revoke(ctx, a, res.Alert)
		}
		if a.Response.Notify && res.NewAlert {
			d.notify.enqueue(*res.Alert)
		}
		if a.Response.Notify && res.NewAlert {
			d.otlp.enqueue(*res.Alert)
		}
		if res.NewAlert {
			d.export.write(*res.Alert)
		}
	}
}

// quarantine is a rule's quarantine response: later central decisions of
// the session are denied.
func (d *detector) quarantine(ctx context.Context, a detect.Alert, al *record.Alert) {
	reason := fmt.Sprintf("alert %s: %s", al.ID, a.Title)
	if _, err := d.s.store.QuarantineSession(ctx, a.SessionID, record.Truncate(reason, store.MaxReasonBytes), "rule:"+a.Rule); err != nil {
		d.m.responses.WithLabelValues("quarantine", "error").Inc()
		d.log.Error("detection: quarantine failed", "rule", a.Rule, "session", a.SessionID, LogKeyError, err)
		return
	}
	d.s.qcache.forget(a.SessionID)
	d.m.responses.WithLabelValues("quarantine", "ok").Inc()
	d.log.Warn("session quarantined by rule", "rule", a.Rule, "session", a.SessionID, "alert", al.ID)
}

// newDetector loads the rules and builds the detector and its responses.
func (s *Server) newDetector(opts Options) error {
	m, err := newDetectMetrics(s.reg)
	if err != nil {
		return err
	}
	set, err := opts.Rules()
	if err != nil {
		return fmt.Errorf("load detection rules: %w", err)
	}
	d := &detector{s: s, log: s.log.With(LogKeyComponent, "detect"), m: m, load: opts.Rules,
		interval: s.cfg.DetectInterval, lateness: s.cfg.DetectLateness,
		dirty: map[string]bool{}, due: map[string]time.Time{}, groups: map[groupKey]bool{},
		members: map[groupKey]map[string]time.Time{}}
	if d.interval <= 0 {
		d.interval = DefaultDetectInterval
	}
	d.budget = d.interval / 4
	if d.lateness < 0 {
		d.lateness = DefaultDetectLateness
	}
	d.rules.Store(set)
	m.rules.Set(float64(len(set.Rules)))
	if s.cfg.AlertWebhookURL != "" {
		d.notify = newNotifier("notify", webhookSender(s.cfg.AlertWebhookURL, opts.WebhookSecret, s.now), d.log, m)
	}
	if s.cfg.AlertsOTLPEndpoint != "" {
		d.otlp = newNotifier("otlp", otlpSender(s.cfg.AlertsOTLPEndpoint, opts.AlertsOTLPToken), d.log, m)
	}
	if s.cfg.AlertsJSONL != "" {
		if d.export, err = openJSONLExport(s.cfg.AlertsJSONL, d.log, m); err != nil {
			return err
		}
	}
	s.detector = d
	return nil
}

// revoke is a rule's revoke_mcp_server response: a policy overlay denying
// the server's tools everywhere, served at once (and by other replicas
// within overlayRefresh). A server already revoked is left as it is.
func (d *detector) revoke(ctx context.Context, a detect.Alert, al *record.Alert) {
	s := d.s
	s.overlays.mu.Lock()
	defer s.overlays.mu.Unlock()
	list, err := s.store.ListOverlays(ctx)
	if err == nil {
		for _, o := range list {
			if o.Kind == policy.OverlayRevokeMCPServer && o.Target == a.MCPServer {
				return
			}
		}
		o := record.PolicyOverlay{Kind: policy.OverlayRevokeMCPServer, Target: a.MCPServer,
			Reason: record.Truncate(fmt.Sprintf("alert %s: %s", al.ID, a.Title), store.MaxReasonBytes), By: "rule:" + a.Rule}
		if _, _, err = policyfile.ApplyOverlays(s.policy.Name, s.yaml, toPolicyOverlays(append(list, o))); err == nil {
			var added *record.PolicyOverlay
			if added, err = s.store.AddOverlay(ctx, o); err == nil {
				_, err = s.applyOverlays(ctx, append(list, *added))
			}
		}
	}
	if err != nil {
		d.m.responses.WithLabelValues("revoke_mcp_server", "error").Inc()
		d.log.Error("detection: revoking the MCP server failed", "rule", a.Rule, "mcp_server", a.MCPServer, LogKeyError, err)
		return
	}
	d.m.responses.WithLabelValues("revoke_mcp_server", "ok").Inc()
	d.log.Warn("MCP server revoked by rule", "rule", a.Rule, "mcp_server", a.MCPServer, "alert", al.ID)
}

// ReloadRules loads the rules again (SIGHUP, POST /api/v1/rules/reload)
// and swaps them in once they load and validate; on error the rules in
// force stay and the error is returned.
func (s *Server) ReloadRules() (int, error) {
	d := s.detector
	if d == nil || d.load == nil {
		return 0, errors.New("detection is off: no rules to reload")
	}
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	set, err := d.load()
	if err != nil {
		d.m.reloads.WithLabelValues("error").Inc()
		s.log.Error("rules reload failed; the rules in force stay", LogKeyError, err)
		return 0, err
	}
	d.rules.Store(set)
	d.m.rules.Set(float64(len(set.Rules)))
	d.m.reloads.WithLabelValues("ok").Inc()
	s.log.Info("rules reloaded", "rules", len(set.Rules))
	return len(set.Rules), nil
}

// Rules returns the rules in force (nil when detection is off).
func (s *Server) Rules() *detect.Set {
	if s.detector == nil {
		return nil
	}
	return s.detector.rules.Load()
}
