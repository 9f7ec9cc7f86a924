package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultHookTimeout is the timeout Claude Code gives a command hook that
// sets none (seconds).
const DefaultHookTimeout = 60

// Answer is how Claude Code reads what a PreToolUse hook did (see
// shared/spec/claude-code.md (b)): only deny, ask, a legacy block and exit
// 2 keep a tool from running; every failure of the hook lets it run.
type Answer string

// The answers.
const (
	AnswerDeny    Answer = "deny"    // permissionDecision deny, exit 0
	AnswerAsk     Answer = "ask"     // permissionDecision ask (refused headless)
	AnswerAllow   Answer = "allow"   // permissionDecision allow
	AnswerBlock   Answer = "block"   // legacy {"decision":"block"}, exit 0
	AnswerExit2   Answer = "exit2"   // exit code 2: blocks, stderr to the model
	AnswerNone    Answer = "none"    // exit 0, no decision: the client decides
	AnswerInvalid Answer = "invalid" // exit 0, stdout not a JSON object: fail-open
	AnswerError   Answer = "error"   // any other exit code: non-blocking error, fail-open
	AnswerTimeout Answer = "timeout" // killed at its timeout: fail-open
	AnswerMissing Answer = "missing" // could not be started: fail-open
)

// Blocks reports whether the client keeps the tool from running.
func (a Answer) Blocks() bool {
	switch a {
	case AnswerDeny, AnswerAsk, AnswerBlock, AnswerExit2:
		return true
	}
	return false
}

// ReadAnswer classifies a PreToolUse hook's exit code and stdout as the
// client reads them. stdout is untrusted.
func ReadAnswer(exitCode int, stdout []byte) Answer {
	switch exitCode {
	case 0:
	case 2:
		return AnswerExit2
	default:
		return AnswerError
	}
	out := bytes.TrimSpace(stdout)
	if len(out) == 0 {
		return AnswerNone
	}
	// Keys are matched exactly, as the client (JavaScript) does; Go's
	// case-insensitive struct decoding would read {"Decision":"block"} as
	// a block the client never sees.
	var top map[string]json.RawMessage
	if out[0] != '{' || json.Unmarshal(out, &top) != nil {
		return AnswerInvalid
	}
	var hso map[string]json.RawMessage
	if json.Unmarshal(top["hookSpecificOutput"], &hso) == nil {
		switch str(hso["permissionDecision"]) {
		case "deny":
			return AnswerDeny
		case "ask":
			return AnswerAsk
		case "allow":
			return AnswerAllow
		}
	}
	if str(top["decision"]) == "block" {
		return AnswerBlock
	}
	return AnswerNone
}

// str decodes a JSON string, "" for anything else.
func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// canary is one input every managed PreToolUse hook must answer as
// Warden's hook does.
type canary struct {
	ID   string
	What string
	// Tool is the tool the input names, for matcher selection ("" goes to
	// every PreToolUse hook).
	Tool string
	// Input builds stdin: the hook event JSON (or garbage).
	Input func(c *canaryRun) []byte
	// Blocks is what the answer must do: true must block, false must not.
	Blocks bool
}

// canaries is the table of canary inputs.
var canaries = []canary{
	{ID: "secret-read", What: "a Read of a synthetic secret (.env)", Tool: "Read", Blocks: true,
		Input: func(c *canaryRun) []byte {
			return c.event("Read", map[string]any{"file_path": filepath.Join(c.project, ".env")})
		}},
	{ID: "ls", What: "Bash ls", Tool: "Bash", Blocks: false,
		Input: func(c *canaryRun) []byte {
			return c.event("Bash", map[string]any{"command": "ls", "description": "List files"})
		}},
	{ID: "garbage", What: "input that is not JSON", Tool: "", Blocks: true,
		Input: func(*canaryRun) []byte { return []byte("{this is not json\x00\xff") }},
}

// canaryRun is the scratch space of one run of the canaries: a project
// holding a synthetic secret, and a spool and state directory of its own
// so that canary calls never reach the real audit.
type canaryRun struct {
	dir, project, session string
	env                   []string
	shell                 string
	n                     int
}

func newCanaryRun(cfg *Config) (*canaryRun, error) {
	dir, err := os.MkdirTemp("", "warden-doctor-")
	if err != nil {
		return nil, fmt.Errorf("canary scratch directory: %w", err)
	}
	c := &canaryRun{dir: dir, project: filepath.Join(dir, "project"), shell: cfg.Shell}
	if c.shell == "" {
		c.shell = "/bin/sh"
	}
	if err := os.MkdirAll(c.project, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.project, ".env"), []byte("WARDEN_DOCTOR_CANARY=not-a-real-secret\n"), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := make([]byte, 8)
	rand.Read(b)
	c.session = "warden-doctor-canary-" + hex.EncodeToString(b)
	c.env = canaryEnv(cfg, dir, c.project)
	return c, nil
}

// canaryEnv is the hook's environment: the caller's (Claude Code passes its
// own environment to hooks), with the audit spool redirected and shipping
// off, so that canaries are not recorded as the user's activity.
func canaryEnv(cfg *Config, dir, project string) []string {
	base := cfg.Environ
	if base == nil {
		base = os.Environ()
	}
	drop := map[string]bool{"WARDEN_SPOOL": true, "WARDEN_SHIP": true, "CLAUDE_PROJECT_DIR": true}
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env,
		"WARDEN_SPOOL="+filepath.Join(dir, "canary-audit.jsonl"),
		"WARDEN_SHIP=0",
		"CLAUDE_PROJECT_DIR="+project)
}

func (c *canaryRun) close() { os.RemoveAll(c.dir) }

func (c *canaryRun) event(tool string, input map[string]any) []byte {
	c.n++
	b, _ := json.Marshal(map[string]any{
		"session_id":      c.session,
		"transcript_path": filepath.Join(c.dir, c.session+".jsonl"),
		"cwd":             c.project,
		"permission_mode": "default",
		"hook_event_name": "PreToolUse",
		"tool_name":       tool,
		"tool_input":      input,
		"tool_use_id":     fmt.Sprintf("toolu_doctor_%04d", c.n),
	})
	return b
}

// hookRun is what one run of a hook command did.
type hookRun struct {
	Answer   Answer
	Exit     int
	Stdout   string
	Stderr   string
	Duration time.Duration
}

// maxHookOutput bounds what is kept of a hook's output.
const maxHookOutput = 64 << 10

// runHook runs command as Claude Code runs a command hook: with the shell's
// -c, stdin the event JSON, in the project directory, killed at timeout.
func (c *canaryRun) runHook(ctx context.Context, command string, timeout time.Duration, stdin []byte) hookRun {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.shell, "-c", command)
	cmd.Dir = c.project
	cmd.Env = c.env
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr boundedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	killGroup(cmd)
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := hookRun{Duration: time.Since(start), Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.Answer, r.Exit = AnswerTimeout, -1
	case errors.As(err, &ee):
		r.Exit = ee.ExitCode()
		r.Answer = ReadAnswer(r.Exit, stdout.Bytes())
	case err != nil:
		r.Answer, r.Exit, r.Stderr = AnswerMissing, -1, err.Error()
	default:
		r.Answer = ReadAnswer(0, stdout.Bytes())
	}
	return r
}

// boundedBuffer keeps the first limit bytes written to it (maxHookOutput
// when limit is 0).
type boundedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	limit := b.limit
	if limit == 0 {
		limit = maxHookOutput
	}
	if room := limit - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// matches reports whether a hook matcher selects tool as the client does:
// "" and "*" select every tool, otherwise the matcher is a regular
// expression over the tool name ("Read|Write" is one).
func matches(matcher, tool string) bool {
	if matcher == "" || matcher == "*" || tool == "" {
		return true
	}
	re, err := regexp.Compile("^(?:" + matcher + ")$")
	if err != nil {
		return matcher == tool
	}
	return re.MatchString(tool)
}

// Executable is the program a hook command runs: its first shell word.
func Executable(command string) string {
	s := strings.TrimLeft(command, " \t")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == ';' || ch == '&' || ch == '|' || ch == '\n':
			return b.String()
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return b.String() + s[i+1:]
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case ch == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return b.String() + s[i+1:]
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case ch == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// lookPath finds exe as the hook's shell would, with PATH from env.
func lookPath(exe string, env []string) (string, error) {
	if exe == "" {
		return "", errors.New("empty command")
	}
	if strings.ContainsRune(exe, '/') {
		return exe, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, exe)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH", exe)
}

// checkExecutable says why the program a hook runs cannot be started, or
// returns "" when it can.
func checkExecutable(command string, env []string) (string, string) {
	exe := Executable(command)
	p, err := lookPath(exe, env)
	if err != nil {
		return exe, err.Error()
	}
	fi, err := os.Stat(p)
	if err != nil {
		return p, fmt.Sprintf("%s does not exist", p)
	}
	if fi.IsDir() {
		return p, fmt.Sprintf("%s is a directory", p)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return p, fmt.Sprintf("%s is not executable (mode %v)", p, fi.Mode().Perm())
	}
	return p, ""
}

func checkHookCommands(ctx context.Context, s *state) Result {
	hooks := s.installed.Hooks()
	if len(hooks) == 0 {
		return Result{Status: Fail, Evidence: fmt.Sprintf("no command hooks in the managed settings in %s: nothing checks tool calls", s.installed.Dir),
			Fix: installFix(s.cfg.Tier)}
	}
	cr, err := newCanaryRun(s.cfg)
	if err != nil {
		return Result{Status: Fail, Evidence: err.Error(), Fix: "make a temporary directory writable ($TMPDIR)"}
	}
	defer cr.close()

	type key struct {
		command string
		timeout int
	}
	var failures, lines []string
	var canaried int
	seen := map[key]bool{}
	reported := map[string]bool{} // commands already reported as not startable
	pre := 0
	for _, h := range hooks {
		if h.Event != "PreToolUse" {
			if p, why := checkExecutable(h.Command, cr.env); why != "" && !reported[h.Command] {
				reported[h.Command] = true
				failures = append(failures, fmt.Sprintf("%s hook %s: %s", h.Event, p, why))
			}
			continue
		}
		pre++
		k := key{h.Command, h.Timeout}
		if seen[k] {
			continue
		}
		seen[k] = true
		if p, why := checkExecutable(h.Command, cr.env); why != "" {
			if !reported[h.Command] {
				reported[h.Command] = true
				failures = append(failures, fmt.Sprintf("PreToolUse hook %s: %s: Claude Code runs every tool unchecked", p, why))
			}
			continue
		}
		timeout := h.Timeout
		if timeout <= 0 {
			timeout = DefaultHookTimeout
		}
		for _, cn := range canaries {
			if !matches(h.Matcher, cn.Tool) {
				continue
			}
			canaried++
			r := cr.runHook(ctx, h.Command, time.Duration(timeout)*time.Second, cn.Input(cr))
			line := fmt.Sprintf("%s <- %s: %s (exit %d, %s)", h.Command, cn.What, r.Answer, r.Exit, r.Duration.Round(time.Millisecond))
			if r.Stderr != "" {
				line += " stderr: " + truncate(r.Stderr, 200)
			}
			lines = append(lines, line)
			switch {
			case cn.Blocks && !r.Answer.Blocks():
				failures = append(failures, fmt.Sprintf("%s answered %s to %s: the client lets it run (want deny or exit 2)", h.Command, r.Answer, cn.What))
			case !cn.Blocks && r.Answer.Blocks():
				failures = append(failures, fmt.Sprintf("%s answered %s to %s: want no opinion or allow", h.Command, r.Answer, cn.What))
			}
		}
	}
	detail := strings.Join(lines, "\n")
	if pre == 0 {
		failures = append(failures, "no PreToolUse hook: nothing decides before a tool runs")
	}
	if len(failures) > 0 {
		return Result{Status: Fail, Evidence: strings.Join(failures, "; "),
			Fix:    "put the warden-hook binary where the settings name it, executable, and make the hooks Warden's fail-closed hook: " + installFix(s.cfg.Tier),
			Detail: detail}
	}
	return Result{Status: Pass,
		Evidence: fmt.Sprintf("%d hooks; %d canary runs via %s -c: secret read denied, ls not blocked, garbage refused", len(hooks), canaried, cr.shell),
		Detail:   detail}
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
