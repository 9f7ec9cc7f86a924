// Package hookcmd is the hook command itself, shared by `warden hook` and
// the hook-only binary `warden-hook`: its flags and help, which policy and
// tier a call is decided under, the hand-off of calls that need a CEL
// condition, and the audit shipper started after answering.
//
// It links what deciding needs and nothing of the command line framework,
// the server or CEL: warden passes a condition evaluator in Options;
// warden-hook passes none and hands a call that needs one to warden.
package hookcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/shiplaunch"
	"github.com/wardenhq/warden/internal/yamltree"
)

// Short and Long are the command's help, the same for both binaries.
const (
	Short = "The Claude Code hook: read a hook event on stdin, answer on stdout"
	Long  = `Hook is the command Claude Code runs for every hook event. It reads the
event JSON on stdin; for PreToolUse it answers deny, ask or allow in Claude
Code's hook protocol (nothing when the policy has no opinion); every event is
recorded as a metadata-only, redacted audit event in the spool file.

It fails closed: malformed input, input over 1 MiB, a policy that cannot be
loaded, or a failure of Warden itself answers deny with the reason, unless the
tier says failure: open. It never exits 1, which Claude Code would read as a
non-blocking error and let the tool run.

Policy: --policy, else $WARDEN_POLICY, else, with a server configured, the
        server's policy as last cached in the state directory (the built-in
        baseline until a first copy arrives), else the built-in baseline.
        A .json file is a policy compiled by 'warden compile' (validated
        once, checksummed; refused if stale or damaged), read without
        parsing YAML; a .yaml file is parsed and validated on every call.
Tier:   --tier, else the tier the policy's repositories: section gives the
        session's repository (by path or origin remote), else default_tier.
Spool:  --spool, else $WARDEN_SPOOL, else $XDG_STATE_HOME/warden/audit.jsonl,
        else ~/.local/state/warden/audit.jsonl. On a machine enrolled with
        'warden enroll', every event is signed with the device key in the
        state directory and chained to the one before.
WARDEN_FAIL_OPEN=1 makes a policy that cannot be loaded fail open.

Server: the server URL and token are read from warden-client.json in the
        state directory, else from /etc/claude-code/warden-client.json
        (written by 'warden install --server'); $WARDEN_SERVER and
        $WARDEN_TOKEN override them, but every command the agent runs can
        read those. With a server and token, after answering the hook
        starts 'warden spool ship' in the background unless one is running
        (never waiting on the network), which delivers the spool and refreshes
        the cached policy; $WARDEN_SHIP=off keeps it from doing so. See
        'warden spool status'.
Quarantine: with a server, the shipper also caches the server's list of
        quarantined sessions (quarantine-cache.json in the state directory)
        at each policy refresh; every tool call of a listed session is
        denied, naming the quarantine, until a refresh after its release.
Pause:  with a server, an administrator can pause Warden for a tier
        ('warden policy pause'): the shipper caches the server's signed
        pause list (pause-cache.json); the hook honours a pause only when
        it verifies with the server key pinned by 'warden enroll', and then
        answers nothing except denials that protect Warden itself, until
        the pause ends. See docs/policy.md, "Pausing Warden".

warden-hook is the same command as a binary of its own, which starts
faster: it links no CEL, so a call for which the policy has a condition
('when:') is handed to 'warden hook' (found next to warden-hook, else on
PATH), and fails closed if warden cannot run.`
	Example = `  # in Claude Code settings: {"type": "command", "command": "/usr/local/bin/warden-hook --tier ci"}
  echo '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cat .env"},"cwd":"/tmp"}' | warden hook`
)

// Flags are the command's flags.
type Flags struct {
	Policy string // policy file; "" $WARDEN_POLICY, the server's cached policy or the baseline
	Tier   string // "" the repository's tier, else the policy's default
	Spool  string // audit spool file; "" the default
}

// FlagHelp is each flag's help line.
var FlagHelp = struct{ Policy, Tier, Spool string }{
	Policy: "policy file (default $WARDEN_POLICY, else the built-in baseline)",
	Tier:   "tier to decide under (default: the repository's tier from the policy's repositories, else its default tier)",
	Spool:  "audit spool file (default $WARDEN_SPOOL, else ~/.local/state/warden/audit.jsonl)",
}

// Env is the process's environment.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Now is the clock a pause's end is judged by (time.Now when nil).
	Now func() time.Time
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Options say how this binary decides.
type Options struct {
	// Conditions makes the evaluator of a Ruleset's CEL conditions; nil in
	// warden-hook, which hands calls that need one to Delegate.
	Conditions func(*policy.Ruleset) engine.Conditions
	// YAML parses YAML (yamlfile.First): the engine's Taskfiles and pnpm
	// workspaces. Nil in warden-hook, which hands a call whose decision
	// needed it to Delegate.
	YAML func([]byte) (*yamltree.Node, error)
	// LoadYAML loads a YAML policy file (policyfile.LoadFile). Nil in
	// warden-hook, which hands every call decided under a YAML policy
	// file to Delegate; compiled (.json) policies it reads itself.
	LoadYAML func(path string) (*policy.Policy, error)
	// Delegate runs `warden hook` with the same flags on the given input,
	// writing its answer; it returns warden's exit code or an error when
	// warden could not run. Used only for what warden-hook lacks
	// (Conditions, YAML, LoadYAML).
	Delegate func(ctx context.Context, input []byte, stdout, stderr io.Writer) (int, error)
	// Shipper finds the warden executable that runs `warden spool ship`,
	// only when one is to be started (nil: the running executable; ""
	// from it: none, warden-hook without warden).
	Shipper func() string
	// NoShipper: no shipper is started (tests).
	NoShipper bool
}

// EnvHandOff is set by warden-hook on the warden it hands a call to: the
// audit event of that call records the hand-off.
const EnvHandOff = "WARDEN_HOOK_HANDOFF"

// EnvTestPanic, set to "decide", makes the decision panic: the tests prove
// both binaries fail closed alike. It can only turn a call into a deny.
const EnvTestPanic = "WARDEN_TEST_PANIC"

// panicking is the Decider of EnvTestPanic.
type panicking struct{}

func (panicking) Decide(engine.Action) engine.Decision { panic("injected by " + EnvTestPanic) }

// maxInput bounds the input read ahead (the hook refuses more than 1 MiB
// itself): the tier may depend on its cwd, a hand-off on its tool.
const maxInput = hookproto.MaxInputBytes + 1

// Run is the hook command: it returns the exit code (0, or 2 when even
// stdout failed; never 1).
func Run(ctx context.Context, env Env, f Flags, opts Options) int {
	home := Home(env.Getenv)
	// The server and token, read once: the policy, the quarantine list and
	// the shipper all depend on them.
	conn := connect(env)
	head, rerr := io.ReadAll(io.LimitReader(env.Stdin, maxInput))
	stdin := io.MultiReader(bytes.NewReader(head), &errReader{rerr}, env.Stdin)
	spoolPath := clientstate.SpoolPath(env.Getenv, home, f.Spool)
	// handOver hands the call to warden, leaving the hook's watchdog a
	// second to deny if warden hangs.
	handOver := func(need string) (int, error) {
		dctx, cancel := context.WithTimeout(ctx, hook.DefaultDeadline-time.Second)
		defer cancel()
		return delegate(dctx, env, opts, head, need)
	}
	yamlWhy := "no warden to hand it to"
	if opts.LoadYAML == nil && rerr == nil && yamlPolicy(env, f) {
		// warden-hook parses no YAML: a call decided under a YAML policy
		// file is warden's (which records the hand-off). If warden cannot
		// decide it, the call fails below like a policy that does not
		// load, and is recorded here.
		code, err := handOver("the policy is a YAML file")
		if err == nil {
			if !opts.NoShipper {
				startShipper(env, conn, opts.Shipper, spoolPath, home)
			}
			return code
		}
		var he *handOffError
		if errors.As(err, &he) {
			yamlWhy = he.why
		}
	}

	var handOff bool
	cfg := hook.Config{
		Load: func(in *hookproto.Input) (hookproto.Decider, hookproto.Meta, error) {
			// The decoded input spares decoding its head again; input that
			// did not decode (or only its event name) is peeked at for the
			// fields that route it.
			var fields inputFields
			if in != nil && (in.Cwd != "" || in.ToolName != "") {
				fields = inputFields{Cwd: in.Cwd, Tool: in.ToolName, Event: in.HookEventName}
			} else {
				fields = peek(head)
			}
			meta, rs, err := load(env, f, opts, yamlWhy, conn, func() string { return fields.Cwd })
			switch {
			case err != nil:
				return nil, meta, err
			case env.Getenv(EnvTestPanic) == "decide":
				return panicking{}, meta, nil
			case opts.Conditions != nil:
				return engine.New(rs, engine.Options{Conditions: opts.Conditions(rs), YAML: opts.YAML}), meta, nil
			}
			handOff = needsConditions(rs, fields.Tool) && rerr == nil
			return engine.New(rs, engine.Options{YAML: opts.YAML}), meta, nil
		},
		Home:       home,
		Getenv:     env.Getenv,
		FailOpen:   clientstate.FailOpen(env.Getenv),
		HandOff:    env.Getenv(EnvHandOff),
		Quarantine: quarantineLookup(env, conn, home),
	}
	if spoolPath != "" {
		cfg.Spool = spoolSink(env, home, spoolPath)
	}
	// Deciding runs the loader first; a call that needs a condition is
	// handed over before the hook answers.
	cfg.Before = func() (bool, int, error) {
		if !handOff {
			return false, 0, nil
		}
		code, err := handOver("the policy has a condition for this call")
		return true, code, err
	}
	// A decision that needed what this binary lacks (a YAML parser) is
	// handed over before the hook answers.
	cfg.After = func(resp hookproto.Response) (bool, int, error) {
		if resp.Lacks == "" || rerr != nil {
			return false, 0, nil
		}
		code, err := handOver("deciding this call reads a YAML file")
		return true, code, err
	}
	code := hook.Run(ctx, cfg, stdin, env.Stdout, env.Stderr)
	if !opts.NoShipper {
		startShipper(env, conn, opts.Shipper, spoolPath, home)
	}
	return code
}

// IgnoreSignals makes the process ignore SIGINT and SIGTERM, so that a hook
// call, once started, always ends with its answer and its audit event: a
// hook killed midway would leave no answer (Claude Code would run the
// tool) and perhaps half an audit line. The hook's own watchdog bounds the
// call instead. Whoever sends those signals (Claude Code giving up on the
// hook, Ctrl-C in its terminal) has stopped waiting for this answer, so
// finishing the decision costs them nothing. It is also the cheaper
// choice: catching the signals starts os/signal's goroutine, which on the
// project's build machine added 0.15-0.26 times a stdin-only Go program's
// whole run time to every call (docs/benchmarks.md). Children
// inherit the ignored dispositions; warden, the only program the hook
// starts, catches both again in its main.
func IgnoreSignals() { signal.Ignore(os.Interrupt, syscall.SIGTERM) }

// spoolSink is the audit spool at path: signed and chained by the device
// identity in the state directory when the machine is enrolled (warden
// enroll), unsigned as before when it is not. A device identity that is
// there but does not load is noted on stderr and the events are written
// unsigned, which the server marks unverified: the call is still recorded.
//
// The identity is loaded in the background from the start of the call:
// the first Ed25519 operation of a process builds the curve's base-point
// table (about 1 ms), which so overlaps with loading the policy and
// deciding instead of adding to them.
func spoolSink(env Env, home, path string) hook.Sink {
	sp := &clientstate.Spool{Path: path}
	dir := clientstate.Dir(env.Getenv, home)
	if dir == "" {
		return sp
	}
	if !clientstate.MayBeEnrolled(dir) {
		// Not enrolled (the common case): no goroutine to start.
		return sp
	}
	s := &deviceSink{spool: sp, stderr: env.Stderr, ready: make(chan struct{})}
	go func() {
		defer close(s.ready)
		s.dev, s.err = clientstate.LoadDevice(dir)
	}()
	return s
}

// deviceSink appends through a SigningSpool once the device identity has
// loaded, or unsigned when there is none.
type deviceSink struct {
	spool  *clientstate.Spool
	stderr io.Writer
	ready  chan struct{}
	dev    *clientstate.Device
	err    error
}

func (s *deviceSink) Append(events ...record.AuditEventV1) error {
	<-s.ready
	switch {
	case errors.Is(s.err, clientstate.ErrNotEnrolled):
		return s.spool.Append(events...)
	case s.err != nil:
		fmt.Fprintf(s.stderr, "warden: audit not signed: %v\n", s.err)
		return s.spool.Append(events...)
	}
	return (&clientstate.SigningSpool{Spool: s.spool, Device: s.dev}).Append(events...)
}

// delegate hands the call to warden; warden's answer is relayed when it
// answered in the hook protocol (exit 0 or 2), and the call is denied when
// warden is missing or failed.
func delegate(ctx context.Context, env Env, opts Options, input []byte, need string) (int, error) {
	var out, errOut bytes.Buffer
	code, err := -1, errors.New("no warden binary to hand it to")
	if opts.Delegate != nil {
		code, err = opts.Delegate(ctx, input, &out, &errOut)
	}
	if err == nil && (code == 0 || code == 2) && (out.Len() == 0 || json.Valid(out.Bytes())) {
		env.Stdout.Write(out.Bytes())
		env.Stderr.Write(errOut.Bytes())
		return code, nil
	}
	return 0, &handOffError{need: need, why: delegateFailure(code, err, errOut.String())}
}

// handOffError is a call warden-hook could not hand to warden: why says
// what went wrong (no warden, its exit status and first line of stderr).
type handOffError struct{ need, why string }

func (e *handOffError) Error() string {
	return fmt.Sprintf("Warden: %s, which warden-hook leaves to warden, and warden could not decide it (%s), so it was blocked; install warden next to warden-hook", e.need, e.why)
}

func delegateFailure(code int, err error, stderr string) string {
	if err != nil {
		return err.Error()
	}
	msg := fmt.Sprintf("exit %d", code)
	if s := strings.TrimSpace(stderr); s != "" {
		if i := strings.IndexByte(s, '\n'); i > 0 {
			s = s[:i]
		}
		msg += ": " + s
	}
	return msg
}

// ExecDelegate returns a Delegate that runs warden() hook with the flags;
// warden is asked only when a call is handed over ("": none to run).
func ExecDelegate(warden func() string, f Flags, environ func() []string) func(context.Context, []byte, io.Writer, io.Writer) (int, error) {
	return func(ctx context.Context, input []byte, stdout, stderr io.Writer) (int, error) {
		exe := warden()
		if exe == "" {
			return -1, errors.New("no warden binary to hand it to")
		}
		args := []string{"hook"}
		if f.Policy != "" {
			args = append(args, "--policy", f.Policy)
		}
		if f.Tier != "" {
			args = append(args, "--tier", f.Tier)
		}
		if f.Spool != "" {
			args = append(args, "--spool", f.Spool)
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stdin = bytes.NewReader(input)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		// The hand-off is recorded; warden starts no second shipper.
		cmd.Env = append(environ(), EnvHandOff+"=warden-hook", clientstate.EnvShip+"=off")
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), nil
		}
		if err != nil {
			return -1, err
		}
		return 0, nil
	}
}

// Sibling returns the path of the program name next to the running
// executable, else as found on PATH, else "".
func Sibling(name string) string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// needsConditions reports a Ruleset with a condition that applies to tool.
func needsConditions(rs *policy.Ruleset, tool string) bool {
	for i := range rs.Conditions {
		if rs.Conditions[i].AppliesTo(tool) {
			return true
		}
	}
	return false
}

// Home is the user's home directory.
func Home(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// errReader returns err once (nil: EOF), so a failed read of the input's
// head reaches the hook's decoder instead of being lost.
type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}

// inputFields are the fields read from the input before deciding; the hook
// decodes and validates the whole input itself.
type inputFields struct {
	Cwd   string `json:"cwd"`
	Tool  string `json:"tool_name"`
	Event string `json:"hook_event_name"`
}

func peek(data []byte) inputFields {
	var in inputFields
	_ = json.Unmarshal(data, &in) // a bad input is the hook's to report
	return in
}

// load loads the policy for one hook call; a policy file that cannot be
// loaded is reported as a hookproto.LoadError so the deny names it. Without a
// tier, a policy that maps repositories to tiers decides it from the
// repository around cwd() (read only then: most policies map none). The
// engine it returns evaluates no conditions; Run adds the evaluator.
func load(env Env, f Flags, opts Options, yamlWhy string, conn clientstate.Connection, cwd func() string) (hookproto.Meta, *policy.Ruleset, error) {
	path := policyPath(env, f)
	var p *policy.Policy
	var server, sha string
	if path == "" {
		server = conn.Server
	}
	switch {
	case path == "" && server != "":
		var err error
		if p, path, sha, err = serverPolicy(env, server); err != nil {
			return hookproto.Meta{}, nil, &hookproto.LoadError{Path: path, Err: err}
		}
	case path == "" || path == "baseline":
		p = policy.Baseline()
	default:
		// A .json file is the compiled form warden compile writes: a
		// checked JSON decode, no YAML parse or validation.
		var err error
		switch {
		case policy.IsCompiledPath(path):
			p, err = policy.LoadCompiled(path)
		case opts.LoadYAML != nil:
			p, err = opts.LoadYAML(path)
		default:
			err = fmt.Errorf("warden-hook does not read YAML policy files, and warden could not read this one for it (%s); compile it with 'warden compile', or install warden next to warden-hook", yamlWhy)
		}
		if err != nil {
			return hookproto.Meta{}, nil, &hookproto.LoadError{Path: path, Err: err}
		}
	}
	tier := f.Tier
	if tier == "" && len(p.Repositories) > 0 {
		if dir := cwd(); dir != "" {
			root, remote := hook.Repo(dir)
			if root == "" {
				root = dir
			}
			tier = p.TierFor(root, remote)
		}
	}
	rs, err := p.Ruleset(tier)
	if err != nil {
		// The policy loaded; the tier named by --tier (or by the policy's
		// repositories) does not exist in it.
		return hookproto.Meta{}, nil, fmt.Errorf("%w; fix --tier in the hook command or the policy's repositories", err)
	}
	var pause *record.Pause
	var ignored string
	if sha != "" {
		dir := clientstate.Dir(env.Getenv, Home(env.Getenv))
		if pause, ignored = serverPause(dir, server, sha, rs.Tier, env.now()); pause != nil {
			rs = policy.PausedRuleset(rs, dir)
		}
	}
	meta := hookproto.Meta{Policy: rs.Policy, PolicyVersion: rs.Revision, Tier: rs.Tier,
		FailOpen: rs.FailOpen, BlockConfigChange: rs.BlockConfigChange, Pause: pause, PauseIgnored: ignored}
	if meta.Policy == "" {
		return meta, nil, errors.New("policy has no name")
	}
	return meta, rs, nil
}

// policyPath is the policy file the call names: --policy, else
// $WARDEN_POLICY ("" none, "baseline" the built-in one).
func policyPath(env Env, f Flags) string {
	if f.Policy != "" {
		return f.Policy
	}
	return env.Getenv(clientstate.EnvPolicy)
}

// yamlPolicy reports whether the call's policy is a YAML file.
func yamlPolicy(env Env, f Flags) bool {
	path := policyPath(env, f)
	return path != "" && path != "baseline" && !policy.IsCompiledPath(path)
}

// serverPause is the pause of tier in force at now, from the server's
// signed pause list as the shipper cached it in dir, when the list
// verifies with the server key pinned at enrollment (for this server) and
// was issued with the cached policy whose digest is sha. Only then: a
// list that is there but fails a check pauses nothing, and ignored says
// why, for the audit. No list (the usual case) costs one failed stat, and
// nothing is verified unless one is there.
func serverPause(dir, server, sha, tier string, now time.Time) (pause *record.Pause, ignored string) {
	if dir == "" {
		return nil, ""
	}
	cache := clientstate.PauseCache{Dir: dir}
	if _, err := os.Lstat(cache.Path()); err != nil {
		return nil, ""
	}
	pub, pinned, err := clientstate.ServerKey(dir)
	if err != nil {
		return nil, "pause list not verified: " + err.Error()
	}
	if clientstate.ServerURL(pinned) != clientstate.ServerURL(server) {
		return nil, fmt.Sprintf("pause list not verified: the pinned server key is %s's, the hook reports to %s", pinned, clientstate.ServerURL(server))
	}
	list, err := cache.Load(pub)
	if errors.Is(err, clientstate.ErrNoPauseCache) {
		return nil, ""
	}
	if err != nil {
		return nil, "pause list ignored: " + err.Error()
	}
	p := list.Active(tier, now)
	if p == nil {
		return nil, ""
	}
	if !strings.EqualFold(list.PolicySHA256, sha) {
		return nil, fmt.Sprintf("pause of tier %s ignored: it was issued with policy %.12s, the cached policy is %.12s", tier, list.PolicySHA256, sha)
	}
	return p, ""
}

// serverPolicy is the policy the hook decides with when it points at a
// server and names no policy file: the server's policy as the shipper last
// cached it, with its digest, else the built-in baseline (and no digest)
// until a first copy arrives. A cache that is there but does not load
// fails the call closed (naming the file), like a broken policy file
// would; the shipper replaces it on its next refresh.
func serverPolicy(env Env, server string) (p *policy.Policy, path, sha string, err error) {
	cache := clientstate.PolicyCache{Dir: clientstate.Dir(env.Getenv, Home(env.Getenv))}
	cp, err := cache.Load(server)
	switch {
	case err == nil:
		return cp.Policy, cp.Policy.File, cp.SHA256, nil
	case errors.Is(err, clientstate.ErrNoPolicyCache):
		return policy.Baseline(), policy.BaselineFile, "", nil
	default:
		return nil, cache.JSONPath(), "", err
	}
}

// quarantineLookup finds a session in the server's quarantine list as
// the shipper last cached it, when the hook points at a server; nil
// otherwise. A missing or unreadable cache quarantines nothing (the
// shipper's next refresh replaces it), and an unreadable one is noted on
// stderr.
func quarantineLookup(env Env, conn clientstate.Connection, home string) func(string) *record.Quarantine {
	server := conn.Server
	if server == "" {
		return nil
	}
	cache := clientstate.QuarantineCache{Dir: clientstate.Dir(env.Getenv, home)}
	return func(session string) *record.Quarantine {
		cq, err := cache.Load(server)
		if err != nil {
			if !errors.Is(err, clientstate.ErrNoQuarantineCache) {
				fmt.Fprintf(env.Stderr, "warden: quarantine list not checked: %v\n", err)
			}
			return nil
		}
		return cq.Lookup(session)
	}
}

// connect is the server and token the hook works with: $WARDEN_SERVER
// and $WARDEN_TOKEN, else the client configuration file
// (clientstate.Connect).
func connect(env Env) clientstate.Connection {
	return clientstate.Connect(env.Getenv, Home(env.Getenv))
}

// startShipper starts a detached `warden spool ship` for spool after the
// hook has answered, when a server and token are known ($WARDEN_SERVER and
// $WARDEN_TOKEN, or the client configuration file) and no shipper is
// running (ship.Start). It never fails the hook: a shipper that cannot
// start is noted on stderr, and the next hook call tries again.
func startShipper(env Env, conn clientstate.Connection, shipper func() string, spool, home string) {
	server, token := conn.Server, conn.Token
	if spool == "" || server == "" || token == "" {
		return
	}
	if clientstate.ShipOff(env.Getenv) {
		return
	}
	if shiplaunch.ValidateServer(server) != nil {
		// A shipper would exit at once, and every hook call would start
		// another: 'warden spool status' reports the bad URL instead.
		return
	}
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(env.Stderr, "warden: audit shipper not started: %v\n", p)
		}
	}()
	var exe string
	var err error
	if shipper != nil {
		if exe = shipper(); exe == "" {
			return
		}
	} else {
		exe, err = os.Executable()
	}
	if err == nil {
		args := shiplaunch.ShipArgs(spool)
		if dir := clientstate.Dir(env.Getenv, home); dir != "" {
			args = append(args, "--state-dir", dir)
		}
		// The server and token travel in the environment, never in argv
		// where other users could read the token; the values the hook saw
		// replace any inherited ones (a child reads the first of a name).
		// From a client configuration file they do not travel at all: the
		// shipper reads the same file, and no process environment holds
		// the token.
		var environ []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, clientstate.EnvServer+"=") && !strings.HasPrefix(kv, clientstate.EnvToken+"=") {
				environ = append(environ, kv)
			}
		}
		if conn.FromEnv() {
			environ = append(environ, clientstate.EnvServer+"="+server, clientstate.EnvToken+"="+token)
		} else {
			args = append(args, "--client-config", conn.Source)
		}
		_, err = shiplaunch.Start(shiplaunch.StartOptions{Spool: spool, Exe: exe, Args: args, Env: environ})
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden: audit shipper not started: %v\n", err)
	}
}

// ParseArgs parses the hook command's arguments the way warden hook's
// flags parse them (--flag value, --flag=value), for the binary that links
// no command line framework. A leading "hook" is accepted, so that
// `warden-hook hook ...` and `warden hook ...` lines interchange.
func ParseArgs(args []string) (f Flags, help bool, err error) {
	if len(args) > 0 && args[0] == "hook" {
		args = args[1:]
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-h" || a == "--help" {
			return f, true, nil
		}
		name, val, eq := strings.Cut(a, "=")
		var dst *string
		switch name {
		case "--policy":
			dst = &f.Policy
		case "--tier":
			dst = &f.Tier
		case "--spool":
			dst = &f.Spool
		default:
			if strings.HasPrefix(a, "-") {
				return f, false, fmt.Errorf("unknown flag: %s", name)
			}
			return f, false, fmt.Errorf("unexpected argument %q (the hook takes only --policy, --tier and --spool)", a)
		}
		if !eq {
			if i+1 >= len(args) {
				return f, false, fmt.Errorf("flag needs an argument: %s", name)
			}
			i++
			val = args[i]
		}
		*dst = val
	}
	return f, false, nil
}

// Help is the command's --help text, laid out as warden's command line
// prints it, for a command line spelt use ("warden hook", "warden-hook").
func Help(use string) string {
	return Long + "\n\nUsage:\n  " + use + " [flags]\n\nExamples:\n" + Example + "\n\nFlags:\n" +
		"  -h, --help            help for hook\n" +
		"      --policy string   " + FlagHelp.Policy + "\n" +
		"      --spool string    " + FlagHelp.Spool + "\n" +
		"      --tier string     " + FlagHelp.Tier + "\n"
}
