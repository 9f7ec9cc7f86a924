//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/fakemodel"
	"github.com/wardenhq/warden/internal/record"
)

// TestPause_LetsDeniedThroughThenResumes is issue 15's emergency stop with
// the real client: an enrolled machine (its device file pins the server's
// pause key) runs warden-hook against a `warden serve`. An administrator
// pauses the machine's tier with `warden policy pause`; at its next policy
// refresh the shipper brings the signed pause list, and the hook then lets
// a force push the baseline denies run (no opinion, recorded as paused)
// while still denying the agent's own `warden policy resume`. After
// `warden policy resume`, the next session's refresh removes the list and
// the force push is denied again.
func TestPause_LetsDeniedThroughThenResumes(t *testing.T) {
	ctx := context.Background()
	sh := startShipping(t, "e2e-pause")
	srv := sh.srv
	settings, err := h.WriteSettings("pause.json", HookSettings(Command(sh.hook), 30))
	if err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Dir(sh.clientConfig)
	t.Cleanup(func() {
		for _, f := range []string{"device.key", "device.json", "device.chain", "pause-cache.json"} {
			os.Remove(filepath.Join(stateDir, f))
		}
	})
	enrollTok, err := srv.CreateToken(ctx, "e2e-pause-enroll", "enroll")
	if err != nil {
		t.Fatal(err)
	}
	tokFile := filepath.Join(h.Scratch.Home, ".e2e-pause-enroll.token")
	if err := h.Scratch.WriteUserFile(tokFile, []byte(enrollTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.Scratch.runAsUser(ctx, h.Scratch.Home, sh.warden, "enroll", "--force", "--server", srv.URL, "--token-file", tokFile, "--name", "e2e-pause"); err != nil {
		t.Fatal(err)
	}
	os.Remove(tokFile)
	admin, err := srv.CreateToken(ctx, "e2e-pause-admin", "admin")
	if err != nil {
		t.Fatal(err)
	}
	// The administrator's commands run outside the session, with the
	// admin token in their own environment only.
	wardenAdmin := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, sh.warden, args...)
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "WARDEN_SERVER=" + srv.URL, "WARDEN_TOKEN=" + admin}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("warden %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	const tier = "production-adjacent" // the baseline's default tier
	t.Log(wardenAdmin("policy", "pause", "--tier", tier, "--until", "1h", "--reason", "e2e: hook outage drill"))

	// The first call starts the shipper, whose first policy refresh also
	// brings the signed pause list; the second waits until the list is
	// cached (a fixed wait was outlasted on a loaded machine).
	pauseCache := filepath.Join(stateDir, "pause-cache.json")
	marker := filepath.Join(h.Scratch.Tmp, "e2e-pause-ready")
	readyWhen(t, marker, func() bool { _, err := os.Stat(pauseCache); return err == nil })
	steps := []fakemodel.Step{
		fakemodel.Bash("echo warmup"),
		fakemodel.Bash("timeout 90 sh -c 'until [ -e " + marker + " ]; do timeout 0.2 tail -f /dev/null; done'; echo waited"),
		fakemodel.Bash("git push --force origin main"),
		fakemodel.Bash("warden policy resume --tier " + tier + " --reason 'let me work'"),
	}
	paused := mustRunSession(t, SessionOptions{Name: "pause-on", Settings: settings, Prompt: "Push the branch.",
		Env: sessionEnv, Timeout: 3 * time.Minute, Steps: steps})
	if c := paused.Call(2); c == nil || c.Outcome.Refused() || c.HookVerdict() != "" {
		t.Errorf("force push while paused: %+v, want run with no hook verdict\n%s", c, paused.Summary())
	}
	if c := paused.Call(3); c == nil || !c.Outcome.Refused() || c.HookVerdict() != "deny" {
		t.Errorf("the agent resuming Warden while paused: %+v, want denied by the hook\n%s", c, paused.Summary())
	}
	events, err := paused.Spool()
	if err != nil {
		t.Fatal(err)
	}
	var push, resume *record.AuditEventV1
	for _, ev := range events {
		var a record.AuditEventV1
		if err := json.Unmarshal(ev.Raw, &a); err != nil {
			t.Fatal(err)
		}
		if a.HookEvent != "PreToolUse" {
			continue
		}
		switch a.Command {
		case "git push --force origin main":
			push = &a
		case "warden policy resume --tier " + tier + " --reason 'let me work'":
			resume = &a
		}
	}
	if push == nil || !push.Paused || push.PauseReason != "e2e: hook outage drill" || push.Decision != record.DecisionNone {
		t.Errorf("force push audit: %+v", push)
	}
	if resume == nil || !resume.Paused || resume.Decision != record.DecisionDeny || resume.RuleID != "commands.warden-tamper" {
		t.Errorf("resume audit: %+v", resume)
	}

	t.Log(wardenAdmin("policy", "resume", "--tier", tier, "--reason", "e2e: drill over"))
	// A new session has a new spool and so a new shipper, whose first
	// refresh removes the pause list; the wait lasts until it has.
	readyWhen(t, marker, func() bool { _, err := os.Stat(pauseCache); return os.IsNotExist(err) })
	resumed := mustRunSession(t, SessionOptions{Name: "pause-off", Settings: settings, Prompt: "Push the branch.",
		Env: sessionEnv, Timeout: 3 * time.Minute, Steps: steps[:3]})
	if c := resumed.Call(2); c == nil || !c.Outcome.Refused() || c.HookVerdict() != "deny" {
		t.Errorf("force push after resume: %+v, want denied by the hook\n%s", c, resumed.Summary())
	}
	if _, err := os.Stat(filepath.Join(stateDir, "pause-cache.json")); !os.IsNotExist(err) {
		t.Errorf("pause list still cached after resume: %v", err)
	}
}

// readyWhen creates the file marker once cond holds (polled every 100 ms
// until the test ends), for a scripted step to wait on: the wait then ends
// when what it waits for has happened rather than after a fixed time.
func readyWhen(t *testing.T, marker string, cond func() bool) {
	t.Helper()
	os.Remove(marker)
	done := make(chan struct{})
	t.Cleanup(func() { close(done); os.Remove(marker) })
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if cond() {
					os.WriteFile(marker, nil, 0o644)
					return
				}
			}
		}
	}()
}
