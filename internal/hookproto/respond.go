package hookproto

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// Decider decides one action. *engine.Engine satisfies it.
type Decider interface {
	Decide(engine.Action) engine.Decision
}

// Meta describes the loaded policy and how the hook should behave.
type Meta struct {
	Policy        string
	PolicyVersion string
	Tier          string
	// FailOpen turns internal failures (bad input, panics, timeouts) into
	// no answer and exit 0 instead of deny.
	FailOpen bool
	// BlockConfigChange blocks settings changes made while a session runs
	// (ConfigChange); policy_settings changes cannot be blocked.
	BlockConfigChange bool
	// Pause is the administrator's signed pause of the tier in force,
	// nil when there is none: decision events then get no answer unless
	// a rule of policy.PausedRules denies them (Paused), and every event
	// is recorded as paused.
	Pause *record.Pause
	// PauseIgnored says why a pause list found was not honoured; recorded
	// in every event.
	PauseIgnored string
}

// LoadError is a policy that could not be loaded, with the file it came
// from; a policy loader should return one so the deny reason can say which
// file to fix.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string { return fmt.Sprintf("load policy %s: %v", e.Path, e.Err) }
func (e *LoadError) Unwrap() error { return e.Err }

// Policy is what a call is decided under: the engine and the policy's
// description, or why the policy could not be loaded.
type Policy struct {
	// Decider decides the call's actions; unused when Err is set.
	Decider Decider
	Meta    Meta
	// Err is why the policy could not be loaded: decision events then fail
	// (Fail, FailurePolicyLoad), and PostToolBatch records each call with
	// the failure.
	Err error
}

// FailMode says how a call Warden could not decide is answered.
type FailMode int

const (
	// FailClosed denies decision events (PreToolUse, PermissionRequest)
	// and input whose event is unknown; other events get no answer, which
	// a command hook's client would ignore anyway, and a note saying so.
	FailClosed FailMode = iota
	// FailOpen gives no answer, with a note: a policy's fail_open, or
	// WARDEN_FAIL_OPEN=1 for a policy that could not be loaded.
	FailOpen
	// FailDeny denies whatever the event, in PreToolUse's shape unless it
	// is PermissionRequest: a service answering an HTTP hook, since Claude
	// Code runs the tool on any answer that is not a 200 with a deny.
	FailDeny
)

// Env is everything Respond and Fail know besides the input and the
// policy, passed in by the caller: they read no clock, environment, file
// or randomness of their own, so that the local hook and a central service
// decide alike and each says only what it knows of the client.
type Env struct {
	// Start is when the call arrived: every event is stamped with it.
	Start time.Time
	// Now reads the clock for the events' durations (Now() - Start);
	// durations are 0 when nil.
	Now func() time.Time
	// Rand is the source of event IDs (record.NewEventID's default when
	// nil).
	Rand io.Reader
	// Home is the client's home directory, for ~ in paths.
	Home string
	// User and Host identify the client as far as the caller knows them;
	// they are recorded as given, possibly empty.
	User, Host string
	// Git is the repository around the input's cwd as the caller read it;
	// the zero Git when unknown (the engine then treats cwd as the project
	// root).
	Git Git
	// HandOff names the binary that handed this call over, recorded in
	// the audit event ("" when the call was not handed over).
	HandOff string
	// Fail says how failures are answered.
	Fail FailMode
	// Quarantine is the server's quarantine of the input's session, as
	// the caller last learnt it (the local hook: the shipper's cached
	// list), nil when it is not quarantined: every decision event of the
	// session is then denied, naming the quarantine, whatever the policy
	// or its failure would answer.
	Quarantine *record.Quarantine
}

func (e Env) elapsed() int64 {
	if e.Now == nil {
		return 0
	}
	return e.Now().Sub(e.Start).Microseconds()
}

// Response is what a hook call gets.
type Response struct {
	// Answer is the JSON the hook prints; nil for no output.
	Answer []byte
	// Reason is the answer's reason, for stderr when the answer cannot be
	// written.
	Reason string
	// Note, when set, goes to stderr once the answer is written: why a
	// failure gave no answer, or what a record-only event could not do.
	Note string
	// Events are the audit events: one, or one per call for PostToolBatch.
	Events []record.AuditEventV1
	// Lacks is what the engine lacked to decide a call fully
	// (engine.Decision.Lacks): a program with a fuller engine should
	// answer the call instead.
	Lacks string
}

// Respond decides one decoded hook input under pol: the answer and the
// audit events of the call, shared by `warden hook`, warden-hook and the
// central service, which wrap it with their own input, output, clock and
// failure handling.
//
//   - PreToolUse: deny, ask and allow are answered with permissionDecision;
//     "none" gives no output, leaving Claude Code's own permission flow.
//     An ask in bypassPermissions mode is a deny.
//   - PermissionRequest: an engine deny is answered with behavior "deny";
//     anything else gives no output.
//   - ConfigChange: recorded, and blocked when Meta.BlockConfigChange
//     (except policy_settings changes, which cannot be blocked).
//   - PostToolBatch: each call is recorded with the verdict the engine would
//     give (observed only): the only event that sees calls PreToolUse never
//     did, such as calls to unknown tools. An engine panic spoils only that
//     call's record.
//   - Every other event is recorded only.
//
// A policy that could not be loaded (pol.Err) fails the call as env.Fail
// says, except PostToolBatch, whose calls are recorded with the failure. A
// panic of the Decider on a decision event is the caller's to recover
// (Fail with record.FailurePanic).
func Respond(in *Input, pol Policy, env Env) Response {
	if env.Quarantine != nil && Decides(in.HookEventName) {
		return quarantined(in, pol, env)
	}
	if pol.Err != nil && in.HookEventName != EventPostToolBatch {
		return Fail(in, pol.Meta, record.FailurePolicyLoad, loadReason(pol.Err), env)
	}
	// Each event's work is a function of its own: Respond's frame then
	// holds none of their audit events, and a hook process's goroutine
	// stack, which grows by doubling and copying, stays a size smaller
	// under the engine's deepest calls.
	switch in.HookEventName {
	case EventPreToolUse, EventPermissionRequest:
		return decideCall(in, pol, env)
	case EventPostToolBatch:
		return observeBatch(in, pol, env)
	case EventConfigChange:
		return configChange(in, pol, env)
	default:
		return recordOnly(in, pol, env)
	}
}

// recordOnly records an event that decides nothing.
func recordOnly(in *Input, pol Policy, env Env) Response {
	ev := Event(in, pol.Meta, env)
	if in.ToolName != "" {
		setAction(&ev, actionWithGit(in, env.Home, env.Git))
	}
	return Response{Events: []record.AuditEventV1{ev}}
}

// decideCall answers a PreToolUse or PermissionRequest call: the engine's
// decision, within a pause when one is in force.
func decideCall(in *Input, pol Policy, env Env) Response {
	a := actionWithGit(in, env.Home, env.Git)
	a.Touches = true
	d := bypassAsk(sanitize(pol.Decider.Decide(a)), in.PermissionMode)
	if pol.Meta.Pause != nil {
		d = Paused(d, pol.Meta.Pause)
	}
	return answerCall(in, pol, env, &a, &d)
}

// answerCall is the answer to a decided call and its audit event, built
// only once the engine has returned (its frame is not under the engine's).
func answerCall(in *Input, pol Policy, env Env, a *engine.Action, d *engine.Decision) Response {
	ev := Event(in, pol.Meta, env)
	setAction(&ev, *a)
	setTouched(&ev, *a, pol.Decider, d.Touched)
	setDecision(&ev, *d, pol.Meta, env)
	reason := decisionReason(*d, pol.Meta)
	var out []byte
	switch {
	case in.HookEventName == EventPermissionRequest && d.Verdict == policy.Deny:
		out = permissionRequestDeny(reason)
	case in.HookEventName == EventPreToolUse && d.Verdict != policy.None:
		out = preToolUseAnswer(d.Verdict, reason)
	}
	return Response{Answer: out, Reason: reason, Events: []record.AuditEventV1{ev}, Lacks: d.Lacks}
}

// observeBatch records each call of a PostToolBatch with the verdict the
// engine would give.
func observeBatch(in *Input, pol Policy, env Env) Response {
	var note string
	if pol.Err != nil {
		note = loadReason(pol.Err) + " (recorded only; PostToolBatch does not decide)"
	}
	base := Event(in, pol.Meta, env)
	events := make([]record.AuditEventV1, 0, len(in.ToolCalls))
	var lacks string
	for _, c := range in.ToolCalls {
		ev, l := observe(in.forCall(c), base, pol, env)
		events = append(events, ev)
		lacks = first(lacks, l)
	}
	return Response{Note: note, Events: events, Lacks: lacks}
}

// configChange records a settings change, blocked when the policy says so
// (except policy_settings changes, which cannot be blocked).
func configChange(in *Input, pol Policy, env Env) Response {
	ev := Event(in, pol.Meta, env)
	if !pol.Meta.BlockConfigChange || in.Source == "policy_settings" {
		return Response{Events: []record.AuditEventV1{ev}}
	}
	reason := "Warden: settings changes during a session are blocked by policy " +
		policyLabel(pol.Meta.Policy, pol.Meta.PolicyVersion) + "; restart Claude Code to apply " + first(in.FilePath, in.Source)
	ev.Decision = record.DecisionDeny
	ev.Reason = record.RedactBounded(reason, record.MaxReasonBytes)
	ev.DurationUS = env.elapsed()
	return Response{Answer: configChangeBlock(reason), Reason: reason, Events: []record.AuditEventV1{ev}}
}

// Paused is decision d while pause is in force: a deny by one of
// policy.PausedRules stands (Warden keeps protecting itself), naming the
// pause; anything else becomes no opinion, so that Claude Code's own
// permission system decides, with the pause as the recorded reason.
func Paused(d engine.Decision, pause *record.Pause) engine.Decision {
	label := "Warden is paused for tier " + pause.Tier + " until " + pause.Until.UTC().Format(time.RFC3339)
	if pause.By != "" {
		label += " by " + pause.By
	}
	if d.Verdict == policy.Deny && policy.IsPausedRule(d.RuleID) {
		d.Reason += " (" + label + ", but it still protects itself)"
		return d
	}
	return engine.Decision{Verdict: policy.None, Reason: label + ": " + oneLine(pause.Reason), Touched: d.Touched,
		Policy: d.Policy, PolicyVersion: d.PolicyVersion, Tier: d.Tier, Lacks: d.Lacks}
}

// QuarantineRuleID is the rule ID of the denials a session quarantine
// causes, locally and on the server.
const QuarantineRuleID = "server.quarantine"

// QuarantineDecision is the decision for every call of a session under
// quarantine q: deny, naming the quarantine and what lifts it.
func QuarantineDecision(q *record.Quarantine) engine.Decision {
	reason := "this session is quarantined"
	if q.By != "" {
		reason += " by " + q.By
	}
	if !q.Time.IsZero() {
		reason += " since " + q.Time.UTC().Format(time.RFC3339)
	}
	if q.Reason != "" {
		reason += ": " + oneLine(q.Reason)
	}
	reason += "; every tool call is denied until an administrator releases it on the Warden server"
	return engine.Decision{Verdict: policy.Deny, RuleID: QuarantineRuleID, Reason: reason}
}

// quarantined answers a decision event of a quarantined session: deny,
// recorded with the call's action like any decision.
func quarantined(in *Input, pol Policy, env Env) Response {
	ev := Event(in, pol.Meta, env)
	a := actionWithGit(in, env.Home, env.Git)
	setAction(&ev, a)
	if pol.Decider != nil {
		setTouched(&ev, a, pol.Decider, nil)
	}
	d := QuarantineDecision(env.Quarantine)
	setDecision(&ev, d, pol.Meta, env)
	reason := decisionReason(d, pol.Meta)
	return Response{Answer: DenyAnswer(in.HookEventName, reason), Reason: reason, Events: []record.AuditEventV1{ev}}
}

// observe records one PostToolBatch call with the verdict the engine would
// give. A panic in the engine spoils only that call's record; with no
// engine (pol.Err) the call is recorded with the load failure.
func observe(in *Input, base record.AuditEventV1, pol Policy, env Env) (ev record.AuditEventV1, lacks string) {
	ev = base
	ev.EventID = record.NewEventID(env.Rand, ev.Time)
	ev.ToolUseID = in.ToolUseID
	ev.ObservedOnly = true
	a := actionWithGit(in, env.Home, env.Git)
	a.Touches = true
	setAction(&ev, a)
	if pol.Err != nil {
		setTouched(&ev, a, pol.Decider, nil)
		ev.Failure = record.FailurePolicyLoad
		ev.Reason = record.RedactBounded(loadReason(pol.Err), record.MaxReasonBytes)
		return ev, ""
	}
	defer func() {
		if p := recover(); p != nil {
			ev.Failure = record.FailurePanic
			ev.Reason = record.RedactBounded(fmt.Sprintf("panic: %v", p), record.MaxReasonBytes)
		}
	}()
	d := sanitize(pol.Decider.Decide(a))
	setTouched(&ev, a, pol.Decider, d.Touched)
	setDecision(&ev, d, pol.Meta, env)
	return ev, d.Lacks
}

// bypassAsk turns an ask into a deny in bypassPermissions mode. Observed on
// Claude Code 2.1.330 (internal/e2e TestClient_BypassIgnoresHookAsk): in
// that mode the client runs a call a hook answered "ask" for paths it guards
// itself (.claude/, .mcp.json, ~/.bashrc), and elsewhere nobody is asked
// anyway. A deny holds in every mode.
func bypassAsk(d engine.Decision, mode string) engine.Decision {
	if mode != "bypassPermissions" || d.Verdict != policy.Ask {
		return d
	}
	d.Verdict = policy.Deny
	d.Reason += " (this needs approval, and the session runs with bypassPermissions, where Claude Code does not ask: denied; run without bypass to approve it)"
	return d
}

// Fail is the response to a call Warden could not decide: failure is a
// record.Failure* code and reason what the user sees. The event is recorded
// with the failure, and the answer is what env.Fail says: a deny (in the
// shape in's event expects; the event then records deny), or nothing with
// a note saying why. in may be nil when the input did not decode at all.
func Fail(in *Input, meta Meta, failure, reason string, env Env) Response {
	if in == nil {
		in = &Input{}
	}
	event := in.HookEventName
	ev := Event(in, meta, env)
	if in.ToolName != "" {
		setAction(&ev, Action(in, env.Home, env.Git.Root))
	}
	ev.Failure = failure
	ev.Reason = record.RedactBounded(reason, record.MaxReasonBytes)
	ev.DurationUS = env.elapsed()
	r := Response{Reason: reason, Note: reason}
	switch {
	case env.Fail == FailDeny, env.Fail == FailClosed && (event == "" || Decides(event)):
		r.Answer = DenyAnswer(event, reason)
		ev.Decision = record.DecisionDeny
	case env.Fail == FailOpen:
		r.Note += " (failing open)"
	default:
		r.Note += " (recorded only; " + event + " does not decide)"
	}
	r.Events = []record.AuditEventV1{ev}
	return r
}

// loadReason tells the user which policy failed to load and how to check it.
func loadReason(err error) string {
	var le *LoadError
	if errors.As(err, &le) {
		return fmt.Sprintf("Warden: policy %s could not be loaded: %s — fix the file or run 'warden policy check %s'",
			le.Path, oneLine(le.Err.Error()), le.Path)
	}
	return "Warden: the policy could not be loaded: " + oneLine(err.Error()) + " — run 'warden policy check' to see why"
}

// HomeFromTranscript returns the home directory a Claude Code transcript
// path lies under (/home/dev/.claude/projects/-home-dev-app/ID.jsonl →
// /home/dev), or "" when the path does not have that shape (a custom
// CLAUDE_CONFIG_DIR, say): the client's home for a service that decides on
// another machine.
func HomeFromTranscript(path string) string {
	i := strings.Index(path, "/.claude/projects/")
	if i <= 0 {
		return ""
	}
	return path[:i]
}

// oneLine flattens a message for a one-line reason.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
