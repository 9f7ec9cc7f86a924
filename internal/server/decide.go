package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// QuarantineRuleID is the rule ID of the denials a session quarantine
// causes; the local hook denies with the same one (hookproto).
const QuarantineRuleID = hookproto.QuarantineRuleID

// engines resolves the policy's tiers on first use and keeps their
// engines (a policy has few tiers, all named in it).
type engines struct {
	p   *policy.Policy
	def string
	now func() time.Time

	mu sync.Mutex
	m  map[string]*tierEngine
}

// tierEngine decides one tier: an engine on engine.NoFS (the files are on
// the client's machine, not here) and the policy's description for the
// answer and the audit event.
type tierEngine struct {
	dec  hookproto.Decider
	meta hookproto.Meta
}

func newEngines(p *policy.Policy, tier string, now func() time.Time) (*engines, error) {
	e := &engines{p: p, def: tier, now: now, m: map[string]*tierEngine{}}
	if _, err := e.get(""); err != nil {
		return nil, err
	}
	return e, nil
}

// get returns the engine of tier ("" is the configured default, else the
// policy's default tier).
func (e *engines) get(tier string) (*tierEngine, error) {
	if tier == "" {
		tier = e.def
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if te, ok := e.m[tier]; ok {
		return te, nil
	}
	rs, err := e.p.Ruleset(tier)
	if err != nil {
		return nil, err
	}
	te := &tierEngine{
		dec: engine.New(rs, engine.Options{FS: engine.NoFS{}, Now: e.now, Conditions: condition.NewEvaluator(rs)}),
		meta: hookproto.Meta{Policy: rs.Policy, PolicyVersion: rs.Revision, Tier: rs.Tier,
			BlockConfigChange: rs.BlockConfigChange},
	}
	e.m[tier] = te
	return te, nil
}

// deciders runs decisions on long-lived goroutines, so that decide_timeout
// can answer while a decision still runs. A decision parses shell in deep
// recursion, and a fresh goroutine for each grew its stack by copying
// (about 6% of a decision's CPU); a worker keeps its grown stack. When
// every worker is busy (with decisions that overran decide_timeout, say),
// a new goroutine takes the job, as before.
type deciders struct{ jobs chan func() }

func newDeciders() *deciders { return &deciders{jobs: make(chan func())} }

// start runs n workers until ctx ends.
func (d *deciders) start(ctx context.Context, n int) {
	for range n {
		go func() {
			for {
				select {
				case f := <-d.jobs:
					f()
				case <-ctx.Done():
					return
				}
			}
		}()
	}
}

func (d *deciders) run(f func()) {
	select {
	case d.jobs <- f:
	default:
		go f()
	}
}

// quarantined decides every action of a quarantined session: deny, with
// the quarantine's reason.
type quarantined struct{ q *record.Quarantine }

func (d quarantined) Decide(engine.Action) engine.Decision {
	return hookproto.QuarantineDecision(d.q)
}

// serveDecide is POST /v1/hooks/claude-code: the hook JSON of a Claude
// Code "type": "http" hook, answered with the local hook's JSON from the
// same engine and policy. Claude Code runs the tool when an HTTP hook
// answers non-2xx or not at all, so every answer is 200 with a decision,
// and every failure is a deny saying why: a refused token, input that
// does not decode or is over 1 MiB, an unknown ?tier=, a store that cannot
// say whether the session is quarantined or cannot record the decision, an
// engine panic, no decision within decide_timeout. Each decision is stored
// as hook audit events before it is answered; failures are recorded too,
// except for requests without a valid token.
func (s *Server) serveDecide(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	answer, verdict, failure := s.decide(r)
	if answer == nil {
		answer = []byte("{}\n")
	}
	s.metrics.decisions.WithLabelValues(verdict).Inc()
	if failure != "" {
		s.metrics.decisionFails.WithLabelValues(failure).Inc()
	}
	s.metrics.decideDuration.Observe(time.Since(start).Seconds())
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Warden-Decision", verdict)
	w.WriteHeader(http.StatusOK)
	w.Write(answer)
}

// Failure label of decisions refused for their token (not an audit
// failure code: nothing is recorded for them).
const failureUnauthorized = "unauthorized"

// decide returns the answer, the verdict it carries and, when Warden
// could not decide normally, the failure.
func (s *Server) decide(r *http.Request) (answer []byte, verdict, failure string) {
	ctx := r.Context()
	in, derr := hookproto.Decode(io.LimitReader(r.Body, hookproto.MaxInputBytes+1))
	event := ""
	if in != nil {
		event = in.HookEventName
	}

	if _, err := s.authorize(ctx, r.RemoteAddr, r.Header.Get("Authorization"), scopesIngest); err != nil {
		e := apiError(err)
		reason := "Warden: the central policy service refused this hook's token (" + e.Message +
			"), so the call was blocked; check the Authorization header of the hook"
		if e.Code == EUnavailable {
			reason = "Warden: the central policy service could not check this hook's token, so the call was blocked"
			s.log.Error("token check failed", LogKeyRequestID, requestID(ctx), LogKeyRoute, "decide", LogKeyError, err)
		}
		return hookproto.DenyAnswer(event, reason), record.DecisionDeny, failureUnauthorized
	}

	eng := s.engines.Load()
	te, terr := eng.get(r.URL.Query().Get("tier"))
	if terr != nil {
		def, _ := eng.get("")
		return s.fail(ctx, in, def.meta, record.FailurePolicyLoad,
			"Warden: "+terr.Error()+"; fix the tier in the hook's URL")
	}
	meta := te.meta
	if derr != nil {
		if errors.Is(derr, hookproto.ErrInputTooLarge) {
			return s.fail(ctx, in, meta, record.FailureInputTooLarge,
				"Warden: the hook input is larger than 1 MiB, so the call was blocked without being checked")
		}
		return s.fail(ctx, in, meta, record.FailureInputInvalid,
			"Warden: could not read this hook call ("+oneLine(derr.Error())+"), so it was blocked")
	}

	dec := te.dec
	if in.SessionID != "" {
		q, err := s.quarantine(ctx, in.SessionID)
		if err != nil {
			s.metrics.storeErrors.WithLabelValues("quarantine").Inc()
			s.log.Error("quarantine lookup failed", LogKeyRequestID, requestID(ctx), LogKeyError, err)
			return s.fail(ctx, in, meta, record.FailureDecide,
				"Warden: could not check whether this session is quarantined, so the call was blocked")
		}
		if q != nil {
			dec = quarantined{q}
		}
	}

	done := make(chan hookproto.Response, 1)
	s.deciders.run(func() { done <- s.respond(in, hookproto.Policy{Decider: dec, Meta: meta}) })
	timer := time.NewTimer(s.cfg.DecideTimeout)
	defer timer.Stop()
	var res hookproto.Response
	select {
	case res = <-done:
	case <-timer.C:
		return s.fail(ctx, in, meta, record.FailureTimeout,
			"Warden: no decision within "+s.cfg.DecideTimeout.String()+", so the call was blocked")
	}

	if err := s.record(ctx, res.Events); err != nil {
		s.log.Error("decision not recorded", LogKeyRequestID, requestID(ctx), LogKeyError, err)
		ans := hookproto.Fail(in, meta, record.FailureDecide,
			"Warden: could not record this decision, so the call was blocked", s.decideEnv(in)).Answer
		return ans, record.DecisionDeny, record.FailureDecide
	}
	verdict = record.DecisionNone
	if len(res.Events) == 1 {
		verdict = res.Events[0].Decision
		failure = res.Events[0].Failure
	}
	return res.Answer, verdict, failure
}

// decideEnv is what a central decision knows besides the input and the
// policy, starting now: the client's home from the input's transcript
// path, no repository (the files are on the client's machine; the engine
// runs on engine.NoFS), no user or host, and every failure a deny, since
// Claude Code runs the tool on any answer of an HTTP hook that is not a
// 200 with a deny.
func (s *Server) decideEnv(in *hookproto.Input) hookproto.Env {
	env := hookproto.Env{Start: s.now(), Now: s.now, Rand: s.rand, Fail: hookproto.FailDeny}
	if in != nil {
		env.Home = hookproto.HomeFromTranscript(in.TranscriptPath)
	}
	return env
}

// respond is hookproto.Respond for a central decision; a panic of the
// engine is a deny naming it, recorded as such.
func (s *Server) respond(in *hookproto.Input, pol hookproto.Policy) (resp hookproto.Response) {
	defer func() {
		if p := recover(); p != nil {
			resp = hookproto.Fail(in, pol.Meta, record.FailurePanic,
				"Warden: internal error while checking this call, so it was blocked ("+oneLine(fmt.Sprintf("panic: %v", p))+")",
				s.decideEnv(in))
		}
	}()
	return hookproto.Respond(in, pol, s.decideEnv(in))
}

// quarantine returns the session's quarantine, nil when there is none,
// from the cache when it is fresh.
func (s *Server) quarantine(ctx context.Context, session string) (*record.Quarantine, error) {
	if q, ok := s.qcache.get(session); ok {
		return q, nil
	}
	q, err := s.store.Quarantine(ctx, session)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		// Not quarantined; an invalid session ID cannot be.
		q, err = nil, nil
	case err != nil:
		return nil, err
	}
	s.qcache.put(session, q)
	return q, nil
}

// HookEventUnknown is the hook event of a failure recorded for input that
// names none (not JSON, say): a store keeps no event without a kind.
const HookEventUnknown = "unknown"

// fail answers deny for a failure and records it (best effort: the store
// may be what failed).
func (s *Server) fail(ctx context.Context, in *hookproto.Input, meta hookproto.Meta, failure, reason string) ([]byte, string, string) {
	resp := hookproto.Fail(in, meta, failure, reason, s.decideEnv(in))
	for i := range resp.Events {
		if resp.Events[i].HookEvent == "" {
			resp.Events[i].HookEvent = HookEventUnknown
		}
	}
	if err := s.record(ctx, resp.Events); err != nil {
		s.log.Warn("failed decision not recorded", LogKeyRequestID, requestID(ctx), LogKeyError, err)
	}
	return resp.Answer, record.DecisionDeny, failure
}

// record stores a decision's audit events through the group-commit writer.
func (s *Server) record(ctx context.Context, evs []record.AuditEventV1) error {
	if len(evs) == 0 {
		return nil
	}
	events := make([]record.Event, len(evs))
	for i, ev := range evs {
		events[i] = auditToEvent(ev)
		// The server made this decision itself: it is its own witness.
		events[i].Verification = &record.Verification{Verified: true, Central: true}
		if err := store.ValidateEvent(&events[i]); err != nil {
			s.metrics.rejected.WithLabelValues(sourceDecision, kindEvent).Inc()
			return fmt.Errorf("decision event: %w", err)
		}
	}
	if err := s.writer.append(ctx, events); err != nil {
		return err
	}
	s.detector.mark(events)
	s.conflicts.mark(events)
	return nil
}

// oneLine flattens a message for a one-line reason.
func oneLine(s string) string {
	out := make([]rune, 0, len(s))
	space := false
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' || r == ' ' {
			space = true
			continue
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
		}
		space = false
		out = append(out, r)
	}
	return string(out)
}
