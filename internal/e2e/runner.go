package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Permission modes the runner accepts for --permission-mode.
var PermissionModes = []string{"default", "acceptEdits", "bypassPermissions", "plan", "dontAsk"}

// DefaultRunTimeout bounds one client run when RunOptions.Timeout is zero.
const DefaultRunTimeout = 5 * time.Minute

// RunOptions describes one headless client run.
type RunOptions struct {
	Client Client
	User   User
	// Home is the client's HOME; Dir its working directory (the project).
	Home, Dir string
	// BaseURL is ANTHROPIC_BASE_URL; it must be a loopback http URL.
	BaseURL string
	Prompt  string
	// Mode is --permission-mode; default bypassPermissions.
	Mode string
	// Settings is the file given with --settings ("" for none).
	Settings string
	// Args are extra client arguments, put before -p.
	Args []string
	// Env is extra environment (KEY=VALUE), after the harness's own. Proxy
	// variables are refused: every request must go to BaseURL directly.
	Env []string
	// Timeout bounds the run; default DefaultRunTimeout.
	Timeout time.Duration
}

// RunResult is what one client run produced.
type RunResult struct {
	Args       []string
	Env        []string
	Stdout     []byte
	Stderr     []byte
	ExitCode   int
	Duration   time.Duration
	TimedOut   bool
	Transcript *Transcript
}

// StderrTail returns the last lines of the client's stderr, for messages.
func (r *RunResult) StderrTail() string {
	s := strings.TrimSpace(string(r.Stderr))
	lines := strings.Split(s, "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// sysProcAttr runs a child as u in a process group of its own, so the
// whole tree can be killed.
func sysProcAttr(u User) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: u.Credential(), Setpgid: true}
}

// ClientEnv returns the environment a client run gets: nothing inherited
// from the harness, no proxy variables, the model at baseURL.
func ClientEnv(u User, home, baseURL string, extra []string) ([]string, error) {
	if err := checkLoopbackURL(baseURL); err != nil {
		return nil, err
	}
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home,
		"USER=" + u.Name,
		"LOGNAME=" + u.Name,
		"SHELL=/bin/bash",
		"TMPDIR=" + home + "/.tmp",
		"LANG=C.UTF-8",
		"TERM=dumb",
		"ANTHROPIC_BASE_URL=" + baseURL,
		"ANTHROPIC_API_KEY=dummy",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1",
	}
	for _, kv := range extra {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("client env %q: want KEY=VALUE", kv)
		}
		if strings.HasSuffix(strings.ToLower(k), "_proxy") {
			return nil, fmt.Errorf("client env %s: proxy variables are not allowed in e2e runs", k)
		}
		env = append(env, kv)
	}
	return env, nil
}

func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("model base URL %q: %w", raw, err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("model base URL %q: want http on loopback", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("model base URL %q: not a loopback address", raw)
	}
	return nil
}

// Run runs the client once, headless, as opts.User and parses its
// stream-json output. The result is returned even with an error, for
// diagnostics: errors are a failure to start, a timeout, a non-zero exit or
// output that does not parse.
func Run(ctx context.Context, opts RunOptions) (*RunResult, error) {
	mode := opts.Mode
	if mode == "" {
		mode = "bypassPermissions"
	}
	if !slices.Contains(PermissionModes, mode) {
		return nil, fmt.Errorf("permission mode %q: want one of %s", mode, strings.Join(PermissionModes, ", "))
	}
	env, err := ClientEnv(opts.User, opts.Home, opts.BaseURL, opts.Env)
	if err != nil {
		return nil, err
	}
	args := append([]string(nil), opts.Args...)
	if opts.Settings != "" {
		args = append(args, "--settings", opts.Settings)
	}
	args = append(args, "-p", opts.Prompt, "--output-format", "stream-json", "--verbose", "--permission-mode", mode)

	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultRunTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, opts.Client.Path, args...)
	cmd.Dir = opts.Dir
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr(opts.User)
	// Kill the whole process group: the client, its hooks and tools.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	res := &RunResult{Args: args, Env: env}
	start := time.Now()
	err = cmd.Run()
	res.Duration = time.Since(start)
	if cmd.Process != nil {
		// Background commands the model started outlive the client; end them.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	res.ExitCode = cmd.ProcessState.ExitCode()
	tr, perr := ParseStream(bytes.NewReader(res.Stdout))
	res.Transcript = tr
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.TimedOut = true
		return res, fmt.Errorf("client run timed out after %s; stderr:\n%s", timeout, res.StderrTail())
	case err != nil:
		return res, fmt.Errorf("client run: %w; stderr:\n%s", err, res.StderrTail())
	case perr != nil:
		return res, fmt.Errorf("client output: %w", perr)
	case tr.Result == nil:
		return res, fmt.Errorf("client output has no result line; stderr:\n%s", res.StderrTail())
	}
	return res, nil
}
