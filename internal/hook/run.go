package hook

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// DefaultDeadline is how long Run may take to decide before the watchdog
// answers deny and exits 2: well inside Claude Code's hook timeout (600 s by
// default, often configured at 10 s), after which the client would run the
// tool unchecked.
const DefaultDeadline = 5 * time.Second

// Sink receives the audit events of one hook call. *clientstate.Spool is
// the one `warden hook` uses.
type Sink interface {
	Append(events ...record.AuditEventV1) error
}

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
}

// LoadError is a policy that could not be loaded, with the file it came
// from; Config.Load should return one so the deny reason can say which file
// to fix.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string { return fmt.Sprintf("load policy %s: %v", e.Path, e.Err) }
func (e *LoadError) Unwrap() error { return e.Err }

// Config wires Run to the rest of Warden. Only Load is required.
type Config struct {
	// Load loads the policy and its engine. It runs once per hook call.
	Load func() (Decider, Meta, error)
	// Spool receives the audit events; nil disables auditing.
	Spool Sink
	// FailOpen makes Run fail open when the policy itself could not be
	// loaded (and so cannot say fail_open): internal failures become "no
	// opinion" (no output, exit 0) with a note on stderr. Once a policy
	// loads, only its Meta.FailOpen counts. The hook command sets it from
	// WARDEN_FAIL_OPEN=1.
	FailOpen bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Home is the user's home directory, for ~ in paths (Getenv("HOME")
	// when empty).
	Home string
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// Deadline bounds a decision (DefaultDeadline when zero).
	Deadline time.Duration
	// Exit ends the process when the watchdog fires (os.Exit when nil).
	Exit func(code int)
	// Hostname names the host for audit events (os.Hostname when nil).
	Hostname func() (string, error)
	// Rand is the source of event IDs (crypto/rand when nil).
	Rand io.Reader
	// Before runs once the policy has loaded, before deciding; when it
	// reports handled, it has answered the call itself (warden-hook handing
	// a call that needs a CEL condition to warden) and Run returns its code
	// without answering or recording. It must answer within the deadline.
	Before func() (handled bool, code int)
	// HandOff names the binary that handed this call over, recorded in
	// the audit event ("" when the call was not handed over).
	HandOff string
}

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Getenv == nil {
		c.Getenv = os.Getenv
	}
	if c.Home == "" {
		c.Home = c.Getenv("HOME")
	}
	if c.Deadline <= 0 {
		c.Deadline = DefaultDeadline
	}
	if c.Exit == nil {
		c.Exit = os.Exit
	}
	if c.Hostname == nil {
		c.Hostname = os.Hostname
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	return c
}

// Run is `warden hook`: it reads one hook input from stdin, answers on
// stdout and returns the exit code (0, or 2 when even stdout failed; never
// 1).
//
//   - PreToolUse: deny, ask and allow are answered with permissionDecision;
//     "none" gives no output, leaving Claude Code's own permission flow.
//   - PermissionRequest: an engine deny is answered with behavior "deny";
//     anything else gives no output.
//   - ConfigChange: recorded, and blocked when Meta.BlockConfigChange.
//   - PostToolBatch: each call is recorded with the verdict the engine would
//     give (observed only): the only event that sees calls PreToolUse never
//     did, such as calls to unknown tools.
//   - Every other event is recorded only.
//
// Every failure (unreadable or oversized input, missing fields, a policy
// that does not load, a panic) answers deny for PreToolUse, PermissionRequest
// and unparsable input, with a reason that says what to fix, unless fail-open
// applies (Meta.FailOpen, or Config.FailOpen when loading failed). A
// watchdog answers deny and exits 2 through Config.Exit when no answer is
// ready within the deadline.
func Run(ctx context.Context, cfg Config, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg = cfg.withDefaults()
	r := &runner{
		cfg:      cfg,
		stdout:   stdout,
		stderr:   stderr,
		start:    cfg.Now(),
		failOpen: cfg.FailOpen,
		done:     make(chan struct{}),
	}
	r.wg.Add(1)
	go r.watchdog(ctx)
	code := r.run(stdin)
	r.mu.Lock()
	r.finished = true
	if r.expired {
		code = r.code
	}
	r.mu.Unlock()
	close(r.done)
	r.wg.Wait()
	return code
}

// runner is the state of one Run, shared with its watchdog.
type runner struct {
	cfg            Config
	stdout, stderr io.Writer
	start          time.Time
	done           chan struct{}
	wg             sync.WaitGroup

	mu       sync.Mutex
	event    string // hook_event_name once decoded
	known    bool   // event is set
	failOpen bool
	meta     Meta
	base     *record.AuditEventV1 // for the watchdog's record
	answered bool                 // the answer (possibly silence) is committed
	code     int                  // exit code of the committed answer
	expired  bool                 // the watchdog answered or ended the process
	finished bool                 // Run is returning
}

func (r *runner) run(stdin io.Reader) int {
	var (
		in   *Input
		derr error
	)
	if p := catch(func() { in, derr = Decode(stdin) }); p != nil {
		in, derr = nil, p
	}
	if in != nil {
		r.mu.Lock()
		r.event, r.known = in.HookEventName, true
		r.mu.Unlock()
	}

	var (
		dec  Decider
		meta Meta
		lerr error
	)
	if r.cfg.Load == nil {
		lerr = errors.New("no policy loader configured")
	} else if p := catch(func() { dec, meta, lerr = r.cfg.Load() }); p != nil {
		dec, lerr = nil, p
	}
	if lerr == nil && dec == nil {
		lerr = errors.New("the policy loader returned no engine")
	}
	r.mu.Lock()
	if lerr == nil {
		r.meta = meta
		r.failOpen = meta.FailOpen
	}
	r.mu.Unlock()

	if lerr == nil && derr == nil && r.cfg.Before != nil {
		r.mu.Lock()
		r.answered = true // the watchdog must not answer over the hand-off
		r.mu.Unlock()
		handled, code := false, ExitOK
		if p := catch(func() { handled, code = r.cfg.Before() }); p == nil && handled {
			r.mu.Lock()
			r.code = code
			r.mu.Unlock()
			return code
		}
		r.mu.Lock()
		r.answered = false
		r.mu.Unlock()
	}
	code := ExitOK
	if p := catch(func() { code = r.handle(in, derr, dec, lerr) }); p != nil {
		fmt.Fprintf(r.stderr, "warden: %v\n%s", p, p.stack)
		code = r.fail(in, nil, record.FailurePanic,
			"Warden: internal error while checking this call, so it was blocked ("+
				oneLine(p.Error())+"); please report it with the output of 'warden version'")
	}
	return code
}

func (r *runner) handle(in *Input, derr error, dec Decider, lerr error) int {
	if derr != nil {
		if errors.Is(derr, ErrInputTooLarge) {
			return r.fail(in, nil, record.FailureInputTooLarge,
				"Warden: the hook input is larger than 1 MiB, so the call was blocked without being checked")
		}
		return r.fail(in, nil, record.FailureInputInvalid,
			"Warden: could not read this hook call ("+oneLine(derr.Error())+
				"), so it was blocked; check that this Warden supports your Claude Code version")
	}

	git := readGit(FindRepo(in.Cwd))
	base := r.baseEvent(in, git)
	r.mu.Lock()
	r.base = &base
	r.mu.Unlock()

	if lerr != nil && in.HookEventName != EventPostToolBatch {
		return r.fail(in, &base, record.FailurePolicyLoad, loadReason(lerr))
	}

	switch in.HookEventName {
	case EventPreToolUse, EventPermissionRequest:
		out, ev, reason := r.decideTool(in, dec, base, actionWithGit(in, r.cfg.Home, git))
		code := r.respond(out, reason)
		r.audit(ev)
		return code

	case EventPostToolBatch:
		if lerr != nil {
			fmt.Fprintf(r.stderr, "%s (recorded only; PostToolBatch does not decide)\n", loadReason(lerr))
		}
		events := make([]record.AuditEventV1, 0, len(in.ToolCalls))
		for _, c := range in.ToolCalls {
			events = append(events, r.observe(in.forCall(c), base, dec, lerr, git))
		}
		code := r.respond(nil, "")
		r.audit(events...)
		return code

	case EventConfigChange:
		ev := base
		var out []byte
		var reason string
		if r.meta.BlockConfigChange && in.Source != "policy_settings" {
			reason = "Warden: settings changes during a session are blocked by policy " +
				policyLabel(r.meta.Policy, r.meta.PolicyVersion) + "; restart Claude Code to apply " + first(in.FilePath, in.Source)
			out = configChangeBlock(reason)
			ev.Decision = record.DecisionDeny
			ev.Reason = record.RedactBounded(reason, record.MaxReasonBytes)
			ev.DurationUS = r.elapsed()
		}
		code := r.respond(out, reason)
		r.audit(ev)
		return code

	default:
		ev := base
		if in.ToolName != "" {
			r.setAction(&ev, actionWithGit(in, r.cfg.Home, git))
		}
		code := r.respond(nil, "")
		r.audit(ev)
		return code
	}
}

// observe records one PostToolBatch call with the verdict the engine would
// give. A panic in the engine spoils only that call's record; with no
// engine (lerr) the call is recorded with the load failure.
// decideTool decides a PreToolUse or PermissionRequest event: the answer
// Claude Code gets (nil for no opinion), the audit event and the reason.
// The local hook and central decisions (remote.go) share it, so they cannot
// answer differently.
func (r *runner) decideTool(in *Input, dec Decider, base record.AuditEventV1, a engine.Action) ([]byte, record.AuditEventV1, string) {
	d := bypassAsk(sanitize(dec.Decide(a)), in.PermissionMode)
	ev := base
	r.setAction(&ev, a)
	r.setDecision(&ev, d)
	reason := decisionReason(d, r.meta)
	var out []byte
	switch {
	case in.HookEventName == EventPermissionRequest && d.Verdict == policy.Deny:
		out = permissionRequestDeny(reason)
	case in.HookEventName == EventPreToolUse && d.Verdict != policy.None:
		out = preToolUseAnswer(d.Verdict, reason)
	}
	return out, ev, reason
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

func (r *runner) observe(in *Input, base record.AuditEventV1, dec Decider, lerr error, git gitInfo) record.AuditEventV1 {
	ev := base
	ev.EventID = record.NewEventID(r.cfg.Rand, ev.Time)
	ev.ToolUseID = in.ToolUseID
	ev.ObservedOnly = true
	a := actionWithGit(in, r.cfg.Home, git)
	r.setAction(&ev, a)
	if lerr != nil {
		ev.Failure = record.FailurePolicyLoad
		ev.Reason = record.RedactBounded(loadReason(lerr), record.MaxReasonBytes)
		return ev
	}
	var d engine.Decision
	if p := catch(func() { d = sanitize(dec.Decide(a)) }); p != nil {
		ev.Failure = record.FailurePanic
		ev.Reason = record.RedactBounded(p.Error(), record.MaxReasonBytes)
		return ev
	}
	r.setDecision(&ev, d)
	return ev
}

// fail answers for a failure of Warden itself: deny for decision events and
// for input whose event is unknown, silence otherwise, and silence with a
// note when failing open. It records the failure.
func (r *runner) fail(in *Input, base *record.AuditEventV1, failure, reason string) int {
	event := ""
	if in != nil {
		event = in.HookEventName
	}
	var ev record.AuditEventV1
	switch {
	case base != nil:
		ev = *base
	case in != nil:
		ev = r.baseEvent(in, readGit(FindRepo(in.Cwd)))
	default:
		ev = r.baseEvent(&Input{}, gitInfo{})
	}
	if in != nil && in.ToolName != "" {
		r.setAction(&ev, actionFrom(in, r.cfg.Home, FindRepo(in.Cwd)))
	}
	ev.Failure = failure
	ev.Reason = record.RedactBounded(reason, record.MaxReasonBytes)
	ev.DurationUS = r.elapsed()

	r.mu.Lock()
	failOpen := r.failOpen
	r.mu.Unlock()
	var out []byte
	note := reason
	switch {
	case failOpen:
		note += " (failing open)"
	case event == "" || decides(event):
		out = denyAnswer(event, reason)
		ev.Decision = record.DecisionDeny
	default:
		note += " (recorded only; " + event + " does not decide)"
	}
	code := r.respond(out, reason)
	if code == ExitOK {
		// On exit 2 respond already put the reason first on stderr, where
		// Claude Code shows it.
		fmt.Fprintln(r.stderr, note)
	}
	r.audit(ev)
	return code
}

// respond commits the answer unless the watchdog already did. If stdout
// cannot be written, the call is blocked with exit 2 and the reason on
// stderr, which Claude Code shows instead.
func (r *runner) respond(out []byte, reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.answered {
		return r.code
	}
	r.answered = true
	r.code = ExitOK
	if len(out) > 0 {
		if _, err := r.stdout.Write(out); err != nil {
			fmt.Fprintf(r.stderr, "%s\n(warden: could not write the answer: %v)\n", first(reason, "Warden: blocked"), err)
			r.code = ExitBlock
		}
	}
	return r.code
}

// audit appends events to the spool. A spool failure never changes the
// answer; it is noted on stderr.
func (r *runner) audit(events ...record.AuditEventV1) {
	if r.cfg.Spool == nil || len(events) == 0 {
		return
	}
	r.mu.Lock()
	expired := r.expired
	r.mu.Unlock()
	if expired {
		return // the watchdog recorded this call
	}
	if p := catch(func() {
		if err := r.cfg.Spool.Append(events...); err != nil {
			fmt.Fprintf(r.stderr, "warden: audit not recorded: %v\n", err)
		}
	}); p != nil {
		fmt.Fprintf(r.stderr, "warden: audit not recorded: %v\n", p)
	}
}

// watchdog ends the process when no answer is committed within the
// deadline (or ctx ends first): deny and exit 2 for decision events and
// unknown ones, exit 0 for the rest or when failing open. If the answer was
// committed but Run is still busy (a stuck spool), it exits with that
// answer's code, so a slow disk never turns a deny into a timeout, which
// Claude Code would treat as no verdict.
func (r *runner) watchdog(ctx context.Context) {
	defer r.wg.Done()
	t := time.NewTimer(r.cfg.Deadline)
	defer t.Stop()
	var why string
	select {
	case <-r.done:
		return
	case <-t.C:
		why = "no decision within " + r.cfg.Deadline.String()
	case <-ctx.Done():
		why = "interrupted (" + ctx.Err().Error() + ")"
	}

	r.mu.Lock()
	if r.finished {
		r.mu.Unlock()
		return
	}
	r.expired = true
	if r.answered {
		code := r.code
		r.mu.Unlock()
		fmt.Fprintf(r.stderr, "warden: %s after answering; exiting\n", why)
		r.cfg.Exit(code)
		return
	}
	r.answered = true
	event, known, failOpen := r.event, r.known, r.failOpen
	reason := "Warden: " + why + ", so the call was blocked; run 'warden explain' on it to see what is slow"
	ev := record.AuditEventV1{HookEvent: event}
	if r.base != nil {
		ev = *r.base
	}
	code := ExitOK
	switch {
	case failOpen:
		fmt.Fprintf(r.stderr, "warden: %s (failing open)\n", reason)
	case !known || decides(event):
		code = ExitBlock
		ev.Decision = record.DecisionDeny
		// Exit 2 makes Claude Code ignore stdout and show stderr; the JSON
		// deny is written too so either reading blocks.
		r.stdout.Write(denyAnswer(event, reason))
		fmt.Fprintf(r.stderr, "%s\n", reason)
	default:
		fmt.Fprintf(r.stderr, "warden: %s (recorded only)\n", reason)
	}
	r.code = code
	r.mu.Unlock()

	ev.Failure = record.FailureTimeout
	ev.Reason = reason
	ev.DurationUS = r.elapsed()
	if ev.Schema == "" {
		ev.Schema, ev.EventID, ev.Time = record.SchemaAuditV1, record.NewEventID(r.cfg.Rand, r.start), r.start.UTC()
	}
	r.auditBounded(ev, 100*time.Millisecond)
	r.cfg.Exit(code)
}

// auditBounded appends ev but waits at most d: the watchdog must exit even
// when the spool hangs.
func (r *runner) auditBounded(ev record.AuditEventV1, d time.Duration) {
	if r.cfg.Spool == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		catch(func() {
			if err := r.cfg.Spool.Append(ev); err != nil {
				fmt.Fprintf(r.stderr, "warden: audit not recorded: %v\n", err)
			}
		})
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

func (r *runner) elapsed() int64 { return r.cfg.Now().Sub(r.start).Microseconds() }

// loadReason tells the user which policy failed to load and how to check it.
func loadReason(err error) string {
	var le *LoadError
	if errors.As(err, &le) {
		return fmt.Sprintf("Warden: policy %s could not be loaded: %s — fix the file or run 'warden policy check %s'",
			le.Path, oneLine(le.Err.Error()), le.Path)
	}
	return "Warden: the policy could not be loaded: " + oneLine(err.Error()) + " — run 'warden policy check' to see why"
}

// panicError is a recovered panic.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// catch runs f and returns a recovered panic as an error.
func catch(f func()) (perr *panicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	f()
	return nil
}

// oneLine flattens a message for a one-line reason.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
