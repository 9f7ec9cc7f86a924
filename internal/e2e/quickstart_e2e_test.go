//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/fakemodel"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/settings"
	"github.com/wardenhq/warden/internal/store/postgres/pgtest"
)

// TestQuickstart runs docs/quickstart.md: every sh block in order, as the
// developer (sudo blocks as root), with the real client where the page
// says to use Claude Code and an HTTP sign-in where it says to open the
// console. The page lists what the test does differently from a reader.
func TestQuickstart(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(h.Root, "docs", "quickstart.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := ParseQuickstart(md)
	if err != nil {
		t.Fatalf("docs/quickstart.md: %v", err)
	}
	lockManaged(t)
	waitQuiet(t)
	setAsideManaged(t)
	t.Cleanup(func() { settings.Uninstall(settings.InstallOptions{Dir: managedDir}) })

	qs := newQuickstartRun(t)
	for _, b := range blocks {
		if b.Section != qs.section {
			qs.stopServers()
			qs.section = b.Section
			if strings.HasPrefix(b.Section, "CI") {
				qs.ciVariables()
			}
		}
		t.Logf("docs/quickstart.md:%d (%s, %s)", b.Line, b.Section, b.Kind)
		switch b.Kind {
		case QSRun, QSRoot:
			qs.run(b)
		case QSBackground:
			qs.background(b)
		case QSEnv:
			qs.env(b)
		case QSMarker:
			switch b.Marker {
			case "claude-session":
				qs.claudeSession()
			case "console":
				qs.console()
			default:
				t.Fatalf("line %d: unknown marker %q", b.Line, b.Marker)
			}
		}
	}
	qs.stopServers()
	if b, err := os.ReadFile(qs.githubEnv); err != nil || !bytes.Contains(b, []byte("OTEL_RESOURCE_ATTRIBUTES=")) {
		t.Errorf("warden ci-env wrote no OTEL_RESOURCE_ATTRIBUTES to $GITHUB_ENV: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(managedDir, "managed-settings.json")); err != nil || !bytes.Contains(b, []byte("--tier ci")) {
		t.Errorf("the CI section's install left no ci-tier managed settings: %v", err)
	}
}

// quickstartRun is the state of one run of the page.
type quickstartRun struct {
	t         *testing.T
	bin       string // where the page's go install put warden and warden-hook
	work      string // the reader's working directory, in the developer's home
	state     string // the environment and directory carried between blocks
	section   string
	servers   []*exec.Cmd
	logs      []*bytes.Buffer
	session   string // the Claude Code session the page denied a read in
	readTok   string
	pgURL     string
	githubEnv string
}

func newQuickstartRun(t *testing.T) *quickstartRun {
	t.Helper()
	// go install's stand-in: the binaries under test in a directory on the
	// developer's PATH. Not under /tmp, where the scratch home is: warden
	// install refuses a hook command in a temporary directory, whose
	// cleaning would leave Claude Code running tools unchecked.
	bin, err := os.MkdirTemp("/opt", "warden-quickstart-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(bin) })
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"warden", "warden-hook"} {
		b, err := os.ReadFile(filepath.Join(h.Root, "bin", name))
		if err != nil {
			t.Fatalf("%v; build it with `make build` (make e2e does)", err)
		}
		if err := os.WriteFile(filepath.Join(bin, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The developer's Warden state (enrollment, spool, the laptop server's
	// database) is the page's own: whatever other tests left is set aside
	// and put back.
	stateDir := filepath.Join(h.Scratch.Home, ".local", "state", "warden")
	aside := stateDir + ".quickstart-aside"
	if err := os.Rename(stateDir, aside); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(stateDir)
		if _, err := os.Stat(aside); err == nil {
			os.Rename(aside, stateDir)
		}
	})
	qs := &quickstartRun{t: t, bin: bin, work: filepath.Join(h.Scratch.Home, "quickstart")}
	qs.state = filepath.Join(qs.work, ".quickstart-state.sh")
	if err := h.Scratch.WriteUserFile(qs.state, []byte(fmt.Sprintf("cd %q\n", qs.work)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		qs.stopServers()
		os.RemoveAll(qs.work)
		for _, f := range []string{".warden-read", ".warden-admin", ".warden-enroll"} {
			os.Remove(filepath.Join(h.Scratch.Home, f))
		}
	})
	return qs
}

// command returns bash running script after the carried state, as the
// developer or as root, in a process group of its own.
func (qs *quickstartRun) command(ctx context.Context, script string, root bool) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/bash", "-c", script)
	cmd.Env = []string{
		"PATH=" + qs.bin + ":/usr/local/bin:/usr/bin:/bin", "HOME=" + h.Scratch.Home,
		"USER=" + h.User.Name, "LANG=C.UTF-8", "TMPDIR=" + filepath.Join(h.Scratch.Home, ".tmp"),
		"QS_STATE=" + qs.state,
	}
	cmd.Dir = qs.work
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if !root {
		cmd.SysProcAttr = sysProcAttr(h.User)
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// run runs a block and checks its "# prints:" texts.
func (qs *quickstartRun) run(b QSBlock) {
	t := qs.t
	t.Helper()
	script := b.Script
	if strings.Contains(script, "go install github.com/wardenhq/warden/") {
		// The one command replaced: the binaries under test are already
		// where go install would put them, on the developer's PATH.
		script = "command -v warden warden-hook\n"
	}
	wrapped := "set -euo pipefail\nsource \"$QS_STATE\"\n" + script +
		"{ export -p; printf 'cd %q\\n' \"$PWD\"; } > \"$QS_STATE\"\n"
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := qs.command(ctx, wrapped, b.Kind == QSRoot)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docs/quickstart.md:%d: %v\n%s\n--- output:\n%s%s", b.Line, err, b.Script, out, qs.serverLogs())
	}
	if qs.session != "" && strings.Contains(b.Script, "warden sessions list") && !bytes.Contains(out, []byte(qs.session)) {
		t.Errorf("docs/quickstart.md:%d: the session list does not list session %s:\n%s", b.Line, qs.session, out)
	}
	for _, want := range b.Prints {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("docs/quickstart.md:%d: the output does not contain %q:\n%s", b.Line, want, out)
		}
	}
}

// background starts a server block and waits until warden health passes.
func (qs *quickstartRun) background(b QSBlock) {
	t := qs.t
	t.Helper()
	cmd := qs.command(context.Background(), "set -euo pipefail\nsource \"$QS_STATE\"\nexec "+strings.TrimSpace(b.Script)+"\n", false)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("docs/quickstart.md:%d: %v", b.Line, err)
	}
	qs.servers, qs.logs = append(qs.servers, cmd), append(qs.logs, &log)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := qs.command(t.Context(), "warden health --timeout 1s", false).CombinedOutput()
		if err == nil {
			// The team's server must be on the page's PostgreSQL, not on
			// the laptop's SQLite left in the same home.
			if qs.pgURL != "" && !strings.Contains(log.String(), `"backend":"postgres"`) {
				t.Fatalf("docs/quickstart.md:%d: the server is not on PostgreSQL:%s", b.Line, qs.serverLogs())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("docs/quickstart.md:%d: the server is not ready after 30 s: %v %s%s", b.Line, err, out, qs.serverLogs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (qs *quickstartRun) stopServers() {
	for _, cmd := range qs.servers {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	qs.servers, qs.logs = nil, nil
}

func (qs *quickstartRun) serverLogs() string {
	var b strings.Builder
	for _, l := range qs.logs {
		b.WriteString("\n--- server log:\n")
		b.WriteString(l.String())
	}
	return b.String()
}

// appendState adds export lines to the carried state.
func (qs *quickstartRun) appendState(vars map[string]string) {
	t := qs.t
	t.Helper()
	f, err := os.OpenFile(qs.state, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for k, v := range vars {
		fmt.Fprintf(f, "export %s=%q\n", k, v)
	}
}

// env replaces the reader's values by the test's.
func (qs *quickstartRun) env(b QSBlock) {
	t := qs.t
	t.Helper()
	vars := map[string]string{}
	for _, name := range b.Vars {
		v, ok := quickstartEnv[name]
		if !ok {
			t.Fatalf("docs/quickstart.md:%d: no test value for %s", b.Line, name)
		}
		if name == "WARDEN_DATABASE_URL" {
			qs.pgURL = pgtest.Schema(t)
			v = qs.pgURL
		}
		vars[name] = v
	}
	qs.appendState(vars)
}

// ciVariables sets what a GitHub Actions runner sets, and the ingest token
// secret, made on the team's server.
func (qs *quickstartRun) ciVariables() {
	t := qs.t
	t.Helper()
	qs.githubEnv = filepath.Join(qs.work, "github.env")
	runnerTemp := filepath.Join(qs.work, "runner-temp", "x")
	for _, f := range []string{qs.githubEnv, runnerTemp} {
		if err := h.Scratch.WriteUserFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := qs.command(t.Context(), "set -euo pipefail\nsource \"$QS_STATE\"\nwarden token create --scope ingest --name ci | tail -n 1\n", false).CombinedOutput()
	if err != nil {
		t.Fatalf("ingest token for the CI section: %v\n%s", err, out)
	}
	qs.appendState(map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_ENV": qs.githubEnv, "RUNNER_TEMP": filepath.Dir(runnerTemp),
		"GITHUB_WORKFLOW": "agent", "GITHUB_JOB": "claude", "GITHUB_RUN_ID": "4242",
		"GITHUB_REPOSITORY": "acme/app", "GITHUB_REF_NAME": "main", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_ACTOR": "ci-bot", "WARDEN_INGEST_TOKEN": strings.TrimSpace(lastLine(string(out))),
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// claudeSession is "use Claude Code and ask it to show .env": the real
// client with the installed managed settings, scripted to read .env two
// ways. Both reads must be refused, and the server must then hold the
// session with the hook's denial (the shipper delivers after the hook
// answers; the wait is bounded).
func (qs *quickstartRun) claudeSession() {
	t := qs.t
	t.Helper()
	env := filepath.Join(h.Scratch.Project, ".env")
	s := mustRunSession(t, SessionOptions{
		Name:   "quickstart",
		Prompt: "Show me the .env file.",
		// The page's spool is the default one, as on a reader's machine.
		Env:   []string{"WARDEN_SPOOL="},
		Steps: []fakemodel.Step{fakemodel.Bash("cat .env"), fakemodel.Read(env)},
	})
	// Both are refused; the Bash one by the hook (no native rule can see
	// a secret inside a command). The Read may be refused by the native
	// deny rule the tier compiles to before the hook is asked.
	for i := range 2 {
		c := s.Call(i)
		if c == nil || !c.Outcome.Refused() || c.HookVerdict() != "" && c.HookVerdict() != "deny" {
			t.Fatalf("call %d: want a read of .env refused, got %+v\n%s", i, c, s.Summary())
		}
	}
	if c := s.Call(0); c.HookVerdict() != "deny" {
		t.Fatalf("cat .env: want the hook's deny, got %q\n%s", c.HookVerdict(), s.Summary())
	}
	if s.Transcript.Init == nil || s.Transcript.Init.SessionID == "" {
		t.Fatal("no session id in the client's output")
	}
	qs.session = s.Transcript.Init.SessionID
	tok, err := os.ReadFile(filepath.Join(h.Scratch.Home, ".warden-read"))
	if err != nil {
		t.Fatal(err)
	}
	qs.readTok = strings.TrimSpace(string(tok))
	deadline := time.Now().Add(90 * time.Second)
	for {
		var sum record.SessionSummary
		code, body := qs.get("/api/v1/sessions/"+url.PathEscape(qs.session), nil)
		if code == http.StatusOK && json.Unmarshal(body, &sum) == nil && sum.Counts.Denials >= 1 {
			return
		}
		if time.Now().After(deadline) {
			out, _ := qs.command(t.Context(), "warden spool status", false).CombinedOutput()
			t.Fatalf("after 90 s the server does not have the session's denial (%d %s)\nspool status:\n%s%s", code, body, out, qs.serverLogs())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (qs *quickstartRun) get(path string, client *http.Client) (int, []byte) {
	req, err := http.NewRequestWithContext(qs.t.Context(), "GET", "http://127.0.0.1:8844"+path, nil)
	if err != nil {
		qs.t.Fatal(err)
	}
	if client == nil {
		client = http.DefaultClient
		req.Header.Set("Authorization", "Bearer "+qs.readTok)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// console is "open the console and sign in with the read token": the
// session with its denial must be on the sessions page and its own page.
func (qs *quickstartRun) console() {
	t := qs.t
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.PostForm("http://127.0.0.1:8844/login", url.Values{"token": {qs.readTok}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/login" {
		t.Fatalf("sign-in with the read token: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	code, body := qs.get("/sessions?denials=1", c)
	if code != http.StatusOK || !bytes.Contains(body, []byte(qs.session)) {
		t.Fatalf("the console's sessions page (%d) does not list session %s", code, qs.session)
	}
	code, body = qs.get("/sessions/"+url.PathEscape(qs.session), c)
	if code != http.StatusOK || !bytes.Contains(body, []byte("paths.secrets")) || !bytes.Contains(body, []byte("deny")) {
		t.Fatalf("the console's session page (%d) does not show the denial by paths.secrets", code)
	}
}
