package hook

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/record"
)

// DefaultDeadline is how long Run may take to decide before the watchdog
// answers deny and exits 2: well inside Claude Code's hook timeout (600 s by
// default, often configured at 10 s), after which the client would run the
// tool unchecked.
const DefaultDeadline = 5 * time.Second

// Exit codes of `warden hook`. There is deliberately no 1: Claude Code reads
// exit 1 as a non-blocking error and runs the tool.
const (
	ExitOK = 0
	// ExitBlock blocks the call; Claude Code ignores stdout and shows stderr.
	ExitBlock = 2
)

// Sink receives the audit events of one hook call. *clientstate.Spool is
// the one `warden hook` uses.
type Sink interface {
	Append(events ...record.AuditEventV1) error
}

// Config wires Run to the rest of Warden. Only Load is required.
type Config struct {
	// Load loads the policy and its engine. It runs once per hook call,
	// after the input is decoded (in is nil when it could not be); a
	// policy file that does not load should be a *hookproto.LoadError, so
	// the deny names the file.
	Load func(in *hookproto.Input) (hookproto.Decider, hookproto.Meta, error)
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
	// without answering or recording. An error is a hand-off that could not
	// be made: Run fails the call (record.FailureDecide) with the error as
	// its reason, and records it. It must answer within the deadline.
	Before func() (handled bool, code int, err error)
	// After runs once the call is decided, before answering, with the
	// decision events' responses; it answers, fails or declines as Before
	// does (warden-hook handing a call whose decision needed a YAML parser
	// to warden).
	After func(resp hookproto.Response) (handled bool, code int, err error)
	// HandOff names the binary that handed this call over, recorded in
	// the audit event ("" when the call was not handed over).
	HandOff string
	// Quarantine returns the server's quarantine of a session as last
	// cached, nil when it is not quarantined (or nothing is cached); nil
	// Quarantine checks none. A quarantined session's decision events are
	// denied (hookproto.Env.Quarantine).
	Quarantine func(sessionID string) *record.Quarantine
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
// 1). The answer and the audit events are hookproto.Respond's, given the
// git metadata read from the .git files around the input's cwd, the local
// user ($USER, else $LOGNAME, else the uid) and host.
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
		expiry:   make(chan struct{}),
	}
	// The watchdog is a timer and a context callback, not a goroutine
	// waiting on them: nothing runs unless it fires, and every hook process
	// is spared starting (and waking a thread for) a goroutine.
	deadline := time.AfterFunc(cfg.Deadline, func() { r.watchdog("no decision within " + cfg.Deadline.String()) })
	stopInterrupt := context.AfterFunc(ctx, func() { r.watchdog("interrupted (" + ctx.Err().Error() + ")") })
	code := r.run(stdin)
	deadline.Stop()
	stopInterrupt()
	r.mu.Lock()
	r.finished = true
	expired := r.expired
	r.mu.Unlock()
	if expired {
		// The watchdog answered (or is answering): its answer stands, and
		// it ends the process once the call is recorded.
		<-r.expiry
		r.mu.Lock()
		code = r.code
		r.mu.Unlock()
	}
	return code
}

// runner is the state of one Run, shared with its watchdog.
type runner struct {
	cfg            Config
	stdout, stderr io.Writer
	start          time.Time
	// expiry is closed when a watchdog that took over the call is done.
	expiry    chan struct{}
	watchOnce sync.Once

	mu       sync.Mutex
	event    string // hook_event_name once decoded
	known    bool   // event is set
	failOpen bool
	meta     hookproto.Meta
	base     func() record.AuditEventV1 // the watchdog's record, once the input is known
	answered bool                       // the answer (possibly silence) is committed
	code     int                        // exit code of the committed answer
	expired  bool                       // the watchdog answered or ended the process
	finished bool                       // Run is returning
}

func (r *runner) run(stdin io.Reader) int {
	var (
		in   *hookproto.Input
		derr error
	)
	if p := catch(func() { in, derr = hookproto.Decode(stdin) }); p != nil {
		in, derr = nil, p
	}
	if in != nil {
		r.mu.Lock()
		r.event, r.known = in.HookEventName, true
		r.mu.Unlock()
	}

	var (
		dec  hookproto.Decider
		meta hookproto.Meta
		lerr error
	)
	if r.cfg.Load == nil {
		lerr = errors.New("no policy loader configured")
	} else if p := catch(func() { dec, meta, lerr = r.cfg.Load(in) }); p != nil {
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
		if handled, code := r.handOff(in, r.cfg.Before); handled {
			return code
		}
	}
	code := ExitOK
	if p := catch(func() { code = r.handle(in, derr, dec, lerr) }); p != nil {
		fmt.Fprintf(r.stderr, "warden: %v\n%s", p, p.stack)
		code = r.fail(in, record.FailurePanic,
			"Warden: internal error while checking this call, so it was blocked ("+
				oneLine(p.Error())+"); please report it with the output of 'warden version'")
	}
	return code
}

func (r *runner) handle(in *hookproto.Input, derr error, dec hookproto.Decider, lerr error) int {
	if derr != nil {
		if errors.Is(derr, hookproto.ErrInputTooLarge) {
			return r.fail(in, record.FailureInputTooLarge,
				"Warden: the hook input is larger than 1 MiB, so the call was blocked without being checked")
		}
		return r.fail(in, record.FailureInputInvalid,
			"Warden: could not read this hook call ("+oneLine(derr.Error())+
				"), so it was blocked; check that this Warden supports your Claude Code version")
	}
	env := r.env(in)
	meta := r.meta
	r.mu.Lock()
	r.base = func() record.AuditEventV1 { return hookproto.Event(in, meta, env) }
	r.mu.Unlock()
	resp := hookproto.Respond(in, hookproto.Policy{Decider: dec, Meta: meta, Err: lerr}, env)
	if r.cfg.After != nil && lerr == nil {
		if handled, code := r.handOff(in, func() (bool, int, error) { return r.cfg.After(resp) }); handled {
			return code
		}
	}
	return r.commit(resp)
}

// handOff runs a Before or After hand-off. While it runs the watchdog does
// not answer over it; a hand-off that panics or declines leaves the call
// to be answered here, and one that fails is failed here and recorded.
func (r *runner) handOff(in *hookproto.Input, f func() (bool, int, error)) (bool, int) {
	r.mu.Lock()
	r.answered = true // the watchdog must not answer over the hand-off
	r.mu.Unlock()
	handled, code := false, ExitOK
	var err error
	p := catch(func() { handled, code, err = f() })
	if p == nil && handled && err == nil {
		r.mu.Lock()
		r.code = code
		r.mu.Unlock()
		return true, code
	}
	r.mu.Lock()
	r.answered = false
	r.mu.Unlock()
	if p == nil && err != nil {
		return true, r.fail(in, record.FailureDecide, err.Error())
	}
	return false, ExitOK
}

// env is what Respond and Fail know of this call besides the input: the
// clock, the local identity, the repository around in's cwd (read from its
// .git files) and how failures are answered now.
func (r *runner) env(in *hookproto.Input) hookproto.Env {
	var git hookproto.Git
	var q *record.Quarantine
	if in != nil {
		git = readGit(FindRepo(in.Cwd))
		if r.cfg.Quarantine != nil && in.SessionID != "" {
			q = r.cfg.Quarantine(in.SessionID)
		}
	}
	r.mu.Lock()
	fail := hookproto.FailClosed
	if r.failOpen {
		fail = hookproto.FailOpen
	}
	r.mu.Unlock()
	return hookproto.Env{
		Start:      r.start,
		Now:        r.cfg.Now,
		Rand:       r.cfg.Rand,
		Home:       r.cfg.Home,
		User:       r.user(),
		Host:       r.host(),
		Git:        git,
		HandOff:    r.cfg.HandOff,
		Fail:       fail,
		Quarantine: q,
	}
}

// fail answers for a failure of Warden itself, as hookproto.Fail says:
// deny for decision events and for input whose event is unknown, silence
// otherwise, and silence with a note when failing open. It records the
// failure.
func (r *runner) fail(in *hookproto.Input, failure, reason string) int {
	return r.commit(hookproto.Fail(in, r.meta, failure, reason, r.env(in)))
}

// commit answers with resp, notes what it says on stderr and records its
// events.
func (r *runner) commit(resp hookproto.Response) int {
	code := r.respond(resp.Answer, resp.Reason)
	if code == ExitOK && resp.Note != "" {
		// On exit 2 respond already put the reason first on stderr, where
		// Claude Code shows it.
		fmt.Fprintln(r.stderr, resp.Note)
	}
	r.audit(resp.Events...)
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
func (r *runner) watchdog(why string) {
	r.watchOnce.Do(func() { r.expire(why) })
}

// expire is the watchdog's work, done at most once per Run.
func (r *runner) expire(why string) {
	r.mu.Lock()
	if r.finished {
		r.mu.Unlock()
		return
	}
	r.expired = true
	defer close(r.expiry)
	if r.answered {
		code := r.code
		r.mu.Unlock()
		fmt.Fprintf(r.stderr, "warden: %s after answering; exiting\n", why)
		r.cfg.Exit(code)
		return
	}
	r.answered = true
	event, known, failOpen, base := r.event, r.known, r.failOpen, r.base
	reason := "Warden: " + why + ", so the call was blocked; run 'warden explain' on it to see what is slow"
	ev := record.AuditEventV1{HookEvent: event}
	if base != nil {
		ev = base()
	}
	code := ExitOK
	switch {
	case failOpen:
		fmt.Fprintf(r.stderr, "warden: %s (failing open)\n", reason)
	case !known || hookproto.Decides(event):
		code = ExitBlock
		ev.Decision = record.DecisionDeny
		// Exit 2 makes Claude Code ignore stdout and show stderr; the JSON
		// deny is written too so either reading blocks.
		r.stdout.Write(hookproto.DenyAnswer(event, reason))
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

// user names the local account: $USER, else $LOGNAME, else the numeric uid.
func (r *runner) user() string {
	if u := r.cfg.Getenv("USER"); u != "" {
		return u
	}
	if u := r.cfg.Getenv("LOGNAME"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}

func (r *runner) host() string {
	h, err := r.cfg.Hostname()
	if err != nil {
		return ""
	}
	return h
}

// first returns the first non-empty string.
func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
