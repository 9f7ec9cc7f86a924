// Command hookbench times whole `warden hook` processes, start to exit, the
// way Claude Code pays for them: one process per tool call.
//
// Each iteration runs a minimal Go program that only reads stdin and exits
// (the baseline), `warden hook` and, when given, the bash+jq reference hook,
// all with the same hook JSON on stdin, in an order rotated per iteration.
// Because the baseline runs next to warden in the same seconds, a busy or
// throttled machine slows both, and the ratio of their medians stays
// meaningful where absolute figures do not.
//
// Every run is checked (exit status, stdout empty or one JSON value): a
// failed run is counted, listed and left out of the statistics, and the
// command exits 1 so that a benchmark never silently measures crashes.
// Missing a speed target is reported, never an error.
//
//	go build -o bin/warden ./cmd/warden
//	go run ./bench/hookbench -warden bin/warden -inputs testdata/corpus \
//	    -jq-hook bench/jq-hook.sh -n 500 -markdown
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Exit codes of hookbench itself.
const (
	exitOK      = 0
	exitFailure = 1 // some measured run failed its check
	exitUsage   = 2 // bad flags, no inputs, a program that cannot be built or found
)

// Program names as reported.
const (
	nameBaseline = "baseline"
	nameWarden   = "warden"
	nameJQ       = "jq-hook"
)

// defaultArgs runs warden as Claude Code's PreToolUse hook; {spool} becomes
// a fresh file in a temporary directory so that auditing costs what it
// costs in production without touching the user's spool.
const defaultArgs = "hook --spool {spool}"

// pipeFill is how much stdin is written into the child's pipe before it
// starts. A Linux pipe holds at least one page even when the per-user pipe
// budget is exhausted, so this never blocks; larger inputs are copied by
// os/exec while the child runs.
const pipeFill = 4096

// maxOutput caps how much of a child's stdout or stderr is kept.
const maxOutput = 1 << 20

// baselineSource is the program warden is compared with: a Go binary built
// by the same toolchain that reads its stdin and exits, so the pair differs
// only by what warden does beyond starting up.
const baselineSource = `// Command baseline reads stdin and exits: the floor under any Go hook.
package main

import (
	"io"
	"os"
)

func main() {
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		os.Exit(1)
	}
}
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config holds the parsed flags.
type config struct {
	warden       string
	args         string
	baseline     string
	jqHook       string
	inputs       string
	n            int
	warmup       int
	inittraceN   int
	seed         uint64
	timeout      time.Duration
	markdown     bool
	showFailures int
	check        hookCheck
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("hookbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.warden, "warden", "", "path of the built warden binary (required)")
	fs.StringVar(&c.args, "args", defaultArgs, "arguments for warden, split on spaces; {spool} is replaced by a temporary spool file")
	fs.StringVar(&c.baseline, "baseline", "", "path of a prebuilt baseline program (default: build one that reads stdin and exits)")
	fs.StringVar(&c.jqHook, "jq-hook", "", "path of the bash+jq reference hook script, run with bash (optional)")
	fs.StringVar(&c.inputs, "inputs", "testdata/corpus", "comma-separated hook JSON files, corpus YAML files, directories or globs")
	fs.IntVar(&c.n, "n", 500, "measured iterations; iteration i uses input i mod the number of inputs")
	fs.IntVar(&c.warmup, "warmup", 5, "unmeasured iterations run first")
	fs.Uint64Var(&c.seed, "seed", 1, "shuffle the inputs with this seed, so that any -n draws a mix of them (0: keep file order)")
	fs.IntVar(&c.inittraceN, "inittrace", 5, "GODEBUG=inittrace=1 runs of warden to report init cost from (0: skip)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "kill a run that takes longer and count it as failed")
	fs.BoolVar(&c.markdown, "markdown", false, "print Markdown tables")
	fs.IntVar(&c.showFailures, "failures", 10, "kinds of failure to list (runs failing the same way are counted together)")
	fs.BoolVar(&c.check.allowExit2, "allow-exit2", false, "accept exit 2 with a reason on stderr (a fail-closed block) as a valid hook run")
	fs.BoolVar(&c.check.allowStderr, "allow-stderr", false, "accept output on stderr from a hook that exits 0")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: hookbench -warden PATH [flags]\n\nTimes whole hook processes, start to exit, paired with a baseline Go program.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	case c.warden == "":
		return nil, errors.New("-warden is required")
	case c.n < 1:
		return nil, fmt.Errorf("-n must be at least 1, got %d", c.n)
	case c.warmup < 0 || c.inittraceN < 0:
		return nil, errors.New("-warmup and -inittrace must not be negative")
	case c.timeout <= 0:
		return nil, errors.New("-timeout must be positive")
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "hookbench: %v\n", err)
		return exitUsage
	}
	tmp, err := os.MkdirTemp("", "hookbench-")
	if err != nil {
		fmt.Fprintf(stderr, "hookbench: %v\n", err)
		return exitUsage
	}
	defer os.RemoveAll(tmp)

	b, err := setup(c, tmp)
	if err != nil {
		fmt.Fprintf(stderr, "hookbench: %v\n", err)
		return exitUsage
	}
	b.measure(stderr)
	if c.inittraceN > 0 {
		b.init = b.inittrace(c.inittraceN)
	}
	b.loadEnd = loadAverage()
	rep := b.report(c.markdown, c.showFailures)
	if _, err := io.WriteString(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "hookbench: %v\n", err)
		return exitFailure
	}
	if b.failures() > 0 {
		fmt.Fprintf(stderr, "hookbench: %d runs failed their check; their times are not in the statistics\n", b.failures())
		return exitFailure
	}
	return exitOK
}

// bench is one benchmark session.
type bench struct {
	cfg       *config
	inputs    []input
	inputDesc string
	progs     []*program
	warden    *program
	baseline  *program
	init      initReport
	loadStart string
	loadEnd   string
}

// program is one command under test and what its runs produced.
type program struct {
	name string
	path string
	args []string
	// hook checks the output against the hook protocol; nil for the
	// baseline, which must only exit 0.
	hook *hookCheck

	samples   []sample // successful runs, in iteration order
	iter      []int    // iteration of each sample
	exits     map[int]int
	decisions map[string]int
	failed    []failure
}

// sample is one successful run.
type sample struct {
	wall   time.Duration // cmd.Start to cmd.Wait returning
	cpu    time.Duration // user + system time of the process and its children
	maxRSS int64         // peak resident set, KiB, as wait4 reports it
	// rssFloor is hookbench's own peak RSS when the run started, in KiB.
	// Linux starts a vfork()ed child's peak at its parent's, so a maxRSS at
	// or below the floor only says "at most this much".
	rssFloor int64
}

// failure is one run that did not pass its check.
type failure struct {
	input  string
	reason string
	stderr string
}

// input is one hook JSON document.
type input struct {
	name string
	data []byte
}

func (p *program) command() string {
	return strings.Join(append([]string{p.path}, p.args...), " ")
}

func setup(c *config, tmp string) (*bench, error) {
	b := &bench{cfg: c, loadStart: loadAverage()}
	var err error
	b.inputs, b.inputDesc, err = loadInputs(c.inputs)
	if err != nil {
		return nil, err
	}
	if c.seed != 0 {
		rand.New(rand.NewPCG(c.seed, 0)).Shuffle(len(b.inputs), func(i, j int) {
			b.inputs[i], b.inputs[j] = b.inputs[j], b.inputs[i]
		})
	}

	basePath := c.baseline
	if basePath == "" {
		if basePath, err = buildBaseline(tmp); err != nil {
			return nil, err
		}
	}
	if basePath, err = executable(basePath); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	wardenPath, err := executable(c.warden)
	if err != nil {
		return nil, fmt.Errorf("warden: %w", err)
	}
	spool := filepath.Join(tmp, "spool", "audit.jsonl")
	var wardenArgs []string
	for _, a := range strings.Fields(c.args) {
		wardenArgs = append(wardenArgs, strings.ReplaceAll(a, "{spool}", spool))
	}

	b.baseline = newProgram(nameBaseline, basePath, nil, nil)
	b.warden = newProgram(nameWarden, wardenPath, wardenArgs, &c.check)
	b.progs = []*program{b.baseline, b.warden}
	if c.jqHook != "" {
		if _, err := os.Stat(c.jqHook); err != nil {
			return nil, fmt.Errorf("jq hook: %w", err)
		}
		bash, err := exec.LookPath("bash")
		if err != nil {
			return nil, fmt.Errorf("jq hook: %w", err)
		}
		if _, err := exec.LookPath("jq"); err != nil {
			return nil, fmt.Errorf("jq hook: %w (install jq, or run scripts/bench.sh)", err)
		}
		b.progs = append(b.progs, newProgram(nameJQ, bash, []string{c.jqHook}, &c.check))
	}
	return b, nil
}

func newProgram(name, path string, args []string, hook *hookCheck) *program {
	return &program{name: name, path: path, args: args, hook: hook, exits: map[int]int{}, decisions: map[string]int{}}
}

// executable resolves path the way exec does, so that "bin/warden" means
// ./bin/warden and not a lookup in $PATH.
func executable(path string) (string, error) {
	if !strings.Contains(path, "/") {
		return exec.LookPath(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", path)
	}
	return abs, nil
}

// buildBaseline compiles baselineSource with the go command in $PATH.
func buildBaseline(dir string) (string, error) {
	src := filepath.Join(dir, "baseline", "main.go")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(src, []byte(baselineSource), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "baseline", "baseline")
	cmd := exec.Command("go", "build", "-o", out, "main.go")
	cmd.Dir = filepath.Dir(src)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build baseline: %w\n%s", err, msg)
	}
	return out, nil
}

// measure runs the warm-up and the measured iterations.
func (b *bench) measure(progress io.Writer) {
	for i := range b.cfg.warmup {
		in := b.inputs[i%len(b.inputs)]
		for _, p := range rotate(b.progs, i) {
			runOnce(p.path, p.args, nil, in.data, b.cfg.timeout)
		}
	}
	next := time.Now().Add(5 * time.Second)
	for i := range b.cfg.n {
		in := b.inputs[i%len(b.inputs)]
		// Every child's peak RSS starts from hookbench's own (see
		// sample.rssFloor). Loading the inputs and capturing output leave
		// freed memory that Go returns to the system only lazily: return it
		// now, outside the timed window, and reset the peak, so the floor is
		// hookbench's live memory.
		debug.FreeOSMemory()
		resetPeakRSS()
		floor := selfPeakRSSKiB()
		for _, p := range rotate(b.progs, i) {
			r := runOnce(p.path, p.args, nil, in.data, b.cfg.timeout)
			r.rssFloor = floor
			p.record(i, in.name, r)
		}
		if now := time.Now(); now.After(next) {
			fmt.Fprintf(progress, "hookbench: %d/%d iterations\n", i+1, b.cfg.n)
			next = now.Add(5 * time.Second)
		}
	}
}

// rotate returns progs starting at position i mod len(progs), so that each
// program runs first, second and last equally often.
func rotate[T any](progs []T, i int) []T {
	k := i % len(progs)
	out := make([]T, 0, len(progs))
	out = append(out, progs[k:]...)
	return append(out, progs[:k]...)
}

// result is what one run produced.
type result struct {
	err    error // start failure, timeout or kill
	exit   int   // -1 when the process did not exit normally
	wall   time.Duration
	cpu    time.Duration
	maxRSS int64
	// rssFloor is set by the caller: see sample.rssFloor.
	rssFloor int64
	stdout   []byte
	stderr   []byte
}

// runOnce runs path with stdin and times it from Start to Wait returning.
func runOnce(path string, args, env []string, stdin []byte, timeout time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	cmd.WaitDelay = time.Second
	var stdout, stderr capped
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	// Claude Code writes the hook input into a pipe. Writing it before the
	// child starts keeps a copying goroutine out of the timed window.
	var pr *os.File
	if len(stdin) <= pipeFill {
		r, w, err := os.Pipe()
		if err != nil {
			return result{err: err, exit: -1}
		}
		_, err = w.Write(stdin)
		w.Close()
		if err != nil {
			r.Close()
			return result{err: err, exit: -1}
		}
		pr = r
		cmd.Stdin = r
	} else {
		cmd.Stdin = bytes.NewReader(stdin)
	}

	start := time.Now()
	err := cmd.Start()
	if pr != nil {
		pr.Close()
	}
	if err != nil {
		return result{err: err, exit: -1}
	}
	err = cmd.Wait()
	r := result{wall: time.Since(start), exit: -1, stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	if ps := cmd.ProcessState; ps != nil {
		r.exit = ps.ExitCode()
		r.cpu = ps.UserTime() + ps.SystemTime()
		r.maxRSS = maxRSSKiB(ps)
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.err = fmt.Errorf("timed out after %v", timeout)
	case err != nil && !errors.As(err, &exitErr):
		r.err = err
	case r.exit < 0:
		r.err = fmt.Errorf("terminated: %v", cmd.ProcessState)
	}
	return r
}

// capped is a bytes.Buffer that keeps at most maxOutput bytes.
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxOutput - c.Len(); room < len(p) {
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// record checks r and keeps its figures when it passed.
func (p *program) record(iter int, inputName string, r result) {
	if r.err == nil {
		p.exits[r.exit]++
	}
	decision, err := p.check(r)
	if err != nil {
		p.failed = append(p.failed, failure{input: inputName, reason: err.Error(), stderr: firstLine(r.stderr)})
		return
	}
	if p.hook != nil {
		p.decisions[decision]++
	}
	p.samples = append(p.samples, sample{wall: r.wall, cpu: r.cpu, maxRSS: r.maxRSS, rssFloor: r.rssFloor})
	p.iter = append(p.iter, iter)
}

func (p *program) check(r result) (string, error) {
	if r.err != nil {
		return "", r.err
	}
	if p.hook == nil {
		if r.exit != 0 {
			return "", fmt.Errorf("exit %d", r.exit)
		}
		return "", nil
	}
	return p.hook.check(r.exit, r.stdout, r.stderr)
}

// Decisions counted besides the permissionDecision values a hook prints.
const (
	decisionNone  = "none"  // exit 0, nothing on stdout: the normal permission flow
	decisionExit2 = "exit2" // exit 2: Claude Code blocks the call and shows stderr
	decisionOther = "other" // JSON without hookSpecificOutput.permissionDecision
)

// hookCheck validates one PreToolUse hook answer as Claude Code reads it.
// By default only the normal path passes: exit 0, stdout empty or one JSON
// value, and nothing on stderr. Warden writes to stderr only when something
// went wrong (it failed closed, or could not audit), and exits 2 only when
// it could not answer on stdout, hit its deadline or was misused; a Go
// crash exits 2 as well. Timing any of those would measure the wrong thing.
type hookCheck struct {
	allowExit2  bool // exit 2 with a reason on stderr is a valid run
	allowStderr bool // exit 0 with output on stderr is a valid run
}

// check returns the decision the answer carries.
func (h hookCheck) check(exit int, stdout, stderr []byte) (string, error) {
	if line := crashLine(stderr); line != "" {
		return "", fmt.Errorf("crashed (exit %d): %s", exit, line)
	}
	errOut := bytes.TrimSpace(stderr)
	switch exit {
	case 0:
		if len(errOut) > 0 && !h.allowStderr {
			return "", errors.New("exit 0 with output on stderr (a fail-closed answer or a warning; -allow-stderr accepts it)")
		}
	case 2:
		if len(errOut) == 0 {
			return "", errors.New("exit 2 without a reason on stderr")
		}
		if !h.allowExit2 {
			return "", errors.New("exit 2: blocked without an answer on stdout (-allow-exit2 accepts it)")
		}
		return decisionExit2, nil
	default:
		return "", fmt.Errorf("exit %d", exit)
	}
	out := bytes.TrimSpace(stdout)
	if len(out) == 0 {
		return decisionNone, nil
	}
	var answer struct {
		HookSpecificOutput *struct {
			PermissionDecision string `json:"permissionDecision"`
		} `json:"hookSpecificOutput"`
	}
	if err := json.Unmarshal(out, &answer); err != nil {
		return "", fmt.Errorf("stdout is not one JSON value: %v: %q", err, truncate(out, 80))
	}
	if answer.HookSpecificOutput == nil || answer.HookSpecificOutput.PermissionDecision == "" {
		return decisionOther, nil
	}
	return answer.HookSpecificOutput.PermissionDecision, nil
}

// crashLine returns the line of a Go panic or fatal runtime error in
// stderr, or "". Both exit 2, which Claude Code would read as a block.
func crashLine(stderr []byte) string {
	for line := range strings.Lines(string(stderr)) {
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			return string(truncate([]byte(line), 160))
		}
	}
	return ""
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	return string(truncate(line, 160))
}

func truncate(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return append(slices.Clip(b[:n]), "..."...)
}

func (b *bench) failures() int {
	n := 0
	for _, p := range b.progs {
		n += len(p.failed)
	}
	return n
}

// selfPeakRSSKiB returns this process's peak RSS (VmHWM) in KiB, or 0
// where /proc/self/status does not exist. A child started with vfork, as
// os/exec does on Linux, inherits it as the start of its own peak.
func selfPeakRSSKiB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseVmHWM(data)
}

func parseVmHWM(status []byte) int64 {
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				return 0
			}
			n, _ := strconv.ParseInt(f[0], 10, 64)
			return n
		}
	}
	return 0
}

// resetPeakRSS sets this process's peak RSS to its current RSS (Linux
// 4.0 and later; elsewhere it does nothing).
func resetPeakRSS() {
	f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	f.WriteString("5")
	f.Close()
}

// loadAverage returns the 1, 5 and 15 minute load averages, or "" where
// /proc/loadavg does not exist.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
