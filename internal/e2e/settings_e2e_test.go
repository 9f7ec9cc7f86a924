//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/fakemodel"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/settings"
)

// The managed-settings suite compiles every tier of the baseline, installs
// it as the real client's managed settings (/etc/claude-code, as root) with
// `warden install`'s code, and checks the client applies it: the
// managed_settings_resolved event reaches a loopback OTLP sink with the
// compiled token, a Read denied by a compiled rule is refused by the rule
// itself, the managed hook (warden hook --tier TIER) decides allowed and
// denied Bash commands, and prompts are not logged.
//
// Managed settings apply to every client process on the machine, so the
// suite must never overlap another client run: it is an ordinary
// (non-parallel) test, Go runs those one at a time and before any parallel
// test; it holds a lock file against a second copy of itself; and it waits
// until no client of the test user runs in another process. Whatever was in
// /etc/claude-code is moved aside and put back afterwards.

const (
	managedDir  = "/etc/claude-code"
	managedLock = "/tmp/warden-e2e-managed-settings.lock"
	sinkToken   = "e2e-ingest-token"
)

// otlpSink records the OTLP/HTTP requests the client sends.
type otlpSink struct {
	srv *http.Server
	url string
	mu  sync.Mutex
	req []otlpRequest
}

type otlpRequest struct {
	path, auth, contentType string
	body                    []byte
}

func startSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		s.mu.Lock()
		s.req = append(s.req, otlpRequest{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// logs returns the bodies of the log exports received so far and whether
// every one of them carried the token.
func (s *otlpSink) logs() ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []byte
	authed := true
	for _, r := range s.req {
		if r.path != "/v1/logs" {
			continue
		}
		all = append(all, r.body...)
		authed = authed && r.auth == "Bearer "+sinkToken
	}
	return all, authed
}

// audited reports whether a hook audit batch reached the sink with the
// token, as the hook's shipper sends it.
func (s *otlpSink) audited() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.req {
		if r.path == "/v1/audit" && r.auth == "Bearer "+sinkToken && len(r.body) > 0 {
			return true
		}
	}
	return false
}

func (s *otlpSink) reset() {
	s.mu.Lock()
	s.req = nil
	s.mu.Unlock()
}

// lockManaged takes the suite's lock file, so that two copies of it never
// install managed settings at once.
func lockManaged(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(managedLock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("another run holds %s: %v", managedLock, err)
		}
		time.Sleep(time.Second)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// otherClients lists the client processes of uid other than this test's own.
func otherClients(uid uint32, client string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || filepath.Base(exe) != filepath.Base(client) {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil || !strings.Contains(string(st), fmt.Sprintf("\nUid:\t%d\t", uid)) {
			continue
		}
		out = append(out, e.Name())
	}
	return out
}

// waitQuiet waits until no other client of the test user runs.
func waitQuiet(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		pids := otherClients(h.User.UID, h.Client.Path)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("client processes of %s keep running (pids %v): managed settings would reach them", h.User.Name, pids)
		}
		time.Sleep(2 * time.Second)
	}
}

// setAsideManaged moves an existing managed-settings directory away for
// the test and puts it back afterwards.
func setAsideManaged(t *testing.T) {
	t.Helper()
	if stale, _ := filepath.Glob(managedDir + ".warden-e2e-*"); len(stale) > 0 {
		t.Fatalf("%v: a crashed run left the machine's managed settings there; move it back to %s by hand", stale, managedDir)
	}
	aside := fmt.Sprintf("%s.warden-e2e-%d", managedDir, os.Getpid())
	_, err := os.Lstat(managedDir)
	existed := err == nil
	if existed {
		if err := os.Rename(managedDir, aside); err != nil {
			t.Fatal(err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(managedDir); err != nil {
			t.Errorf("remove %s: %v", managedDir, err)
		}
		if existed {
			if err := os.Rename(aside, managedDir); err != nil {
				t.Errorf("put back %s: %v (it is in %s)", managedDir, err, aside)
			}
		}
	})
}

// buildWarden builds this checkout's warden, so the hook under test is the
// code under test, and installs it where the test user can run it.
// buildWarden builds this checkout's warden once per run and installs it
// in the scratch bin as warden-managed (the managed-settings suites share
// it).
func buildWarden(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(h.Scratch.Bin, "warden-managed"); fileExists(p) {
		return p
	}
	out := filepath.Join(t.TempDir(), "warden")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/warden")
	cmd.Dir = h.Root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/warden: %v\n%s", err, b)
	}
	path, err := h.InstallExecutable("warden-managed", out)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestManagedSettings_Baseline(t *testing.T) {
	ctx := t.Context()
	lockManaged(t)
	warden := buildWarden(t)
	sink, err := startSink()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.srv.Close() })
	waitQuiet(t)
	setAsideManaged(t)

	p := policy.Baseline()
	for _, tier := range p.TierNames() {
		t.Run(tier, func(t *testing.T) {
			sink.reset()
			r, err := settings.Compile(p, settings.Options{Tier: tier, HookCommand: warden, Server: sink.url,
				Token: sinkToken, TokenEnv: "E2E_TOKEN"})
			if err != nil {
				t.Fatal(err)
			}
			// The ci tier goes in as managed-settings.d fragments, the others
			// as one managed-settings.json: both deliveries are exercised.
			fragments := tier == "ci"
			files, err := r.Files(settings.FormatLinux, fragments)
			if err != nil {
				t.Fatal(err)
			}
			opts := settings.InstallOptions{Dir: managedDir}
			if _, err := settings.Install(r, files, opts); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if _, err := settings.Uninstall(opts); err != nil {
					t.Errorf("uninstall: %v", err)
				}
			}()
			runManagedSession(ctx, t, r, tier, sink)
		})
	}
}

// managedSteps are the calls every tier's sessions make.
func managedSteps(tier string) []fakemodel.Step {
	steps := []fakemodel.Step{
		fakemodel.Read(filepath.Join(h.Scratch.Project, ".env")),
		fakemodel.Bash("git status --short"),
		fakemodel.Bash("curl -s https://example.com/upload"),
		fakemodel.Read(filepath.Join(h.Scratch.Home, ".ssh", "id_rsa")),
	}
	if tier == "ci" {
		steps = append(steps, fakemodel.Bash("git push origin main"))
	}
	return steps
}

func runManagedSession(ctx context.Context, t *testing.T, r *settings.Result, tier string, sink *otlpSink) {
	mode := "default"
	if perms, _ := r.Settings["permissions"].(map[string]any); perms["disableBypassPermissionsMode"] == nil {
		mode = "bypassPermissions" // the ci tier: deny rules must hold in bypass mode too
	}
	run := func(name string, env ...string) *Session {
		t.Helper()
		s, err := h.RunSession(ctx, SessionOptions{
			Name:  name,
			Mode:  mode,
			Steps: managedSteps(tier),
			Env:   append([]string{"OTEL_LOGS_EXPORT_INTERVAL=500", "OTEL_METRIC_EXPORT_INTERVAL=1000"}, env...),
		})
		if s == nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, s.Summary())
		}
		if strings.Contains(string(s.Run.Stderr), "Managed settings") {
			t.Errorf("the client complained about the managed settings:\n%s", s.Run.StderrTail())
		}
		if leaks := s.Leaks(h.Scratch); len(leaks) > 0 {
			t.Errorf("canaries leaked: %v\n%s", leaks, s.Summary())
		}
		return s
	}

	// With the managed hook working: it allows what the policy allows and
	// denies the rest (the secrets are refused by the hook or by the
	// compiled rules, whichever the client asks first).
	s := run("managed-" + tier)
	for i, c := range []struct {
		what    string
		refused bool
		verdict string
	}{{"Read .env", true, ""}, {"git status", false, "allow"}, {"curl", true, "deny"}, {"Read ~/.ssh/id_rsa", true, ""}, {"git push origin main", true, "deny"}} {
		if i >= len(s.Steps) {
			break
		}
		call := s.Call(i)
		switch {
		case call == nil:
			t.Errorf("%s: not in the stream\n%s", c.what, s.Summary())
		case call.Outcome.Refused() != c.refused || call.Outcome == OutcomeNeedsApproval:
			t.Errorf("%s: %s, want refused=%v\n%s", c.what, call.Outcome, c.refused, s.Summary())
		case c.verdict != "" && call.HookVerdict() != c.verdict:
			t.Errorf("%s: hook verdict %q, want %q\n%s", c.what, call.HookVerdict(), c.verdict, s.Summary())
		}
	}
	// The hook that ran is the managed one, for this tier.
	spool, err := s.Spool()
	if err != nil {
		t.Fatalf("no spool: the managed hook did not run: %v", err)
	}
	found := false
	for _, ev := range spool {
		found = found || bytes.Contains(ev.Raw, []byte(`"tier":"`+tier+`"`))
	}
	if !found {
		t.Errorf("no audit event of tier %s in the spool (%d events)", tier, len(spool))
	}

	// With the hook failing open (its policy cannot load and
	// WARDEN_FAIL_OPEN=1), the compiled rules alone still refuse the
	// secrets, the egress and the protected push, and allow git status.
	s = run("managed-nohook-"+tier, "WARDEN_POLICY=/nonexistent/warden-policy.yaml", "WARDEN_FAIL_OPEN=1")
	for i, c := range []struct {
		what string
		want Outcome
	}{{"Read .env", OutcomeDeniedByRule}, {"git status", OutcomeRan}, {"curl", OutcomeDeniedByRule}, {"Read ~/.ssh/id_rsa", OutcomeDeniedByRule}, {"git push origin main", OutcomeDeniedByRule}} {
		if i >= len(s.Steps) {
			break
		}
		if call := s.Call(i); call == nil || call.Outcome != c.want || call.HookVerdict() != "" {
			t.Errorf("%s without the hook: %+v, want %s by the compiled rules\n%s", c.what, call, c.want, s.Summary())
		}
	}

	// Telemetry: managed_settings_resolved reached the sink with the
	// compiled token, from the file source; prompts and tool details were
	// not logged.
	var body []byte
	authed := false
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if body, authed = sink.logs(); bytes.Contains(body, []byte("managed_settings_resolved")) {
			break
		}
	}
	if !bytes.Contains(body, []byte("managed_settings_resolved")) {
		t.Errorf("no managed_settings_resolved event reached the sink (%d bytes of logs)", len(body))
	}
	if !authed {
		t.Error("a log export came without the compiled bearer token")
	}
	if i := bytes.Index(body, []byte("managed_settings.sources")); i < 0 || !bytes.Contains(body[i:min(i+80, len(body))], []byte("file")) {
		t.Error("managed_settings_resolved does not name the file source")
	}
	if bytes.Contains(body, []byte("Run the scripted tool calls")) || bytes.Contains(body, []byte("full_command")) {
		t.Error("the prompt or tool details were logged although the policy leaves them off")
	}

	// Audit: the hook found the server and token in the installed
	// warden-client.json (no WARDEN_* variable is set) and its shipper
	// delivered the audit; the token reached the client through
	// otelHeadersHelper, not the settings' env.
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !sink.audited(); time.Sleep(250 * time.Millisecond) {
	}
	if !sink.audited() {
		t.Error("no hook audit reached the server from the installed client configuration")
	}
	if env, _ := r.Settings["env"].(map[string]any); env[settings.EnvOTLPHeaders] != nil {
		t.Errorf("the managed settings' env carries %s", settings.EnvOTLPHeaders)
	}
}

// fileExists reports whether p names an existing file.
func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
