package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/shiplaunch"
	"github.com/wardenhq/warden/internal/store"
)

// TestPolicyPauseCmd: the whole pause, on a real server and an enrolled
// machine: enrollment pins the server's pause key; an admin pauses the
// machine's tier; after the shipper's refresh the hook gives no opinion
// on a call the policy denies (recorded as paused) but still denies the
// agent lifting the pause; resume lifts it and the next refresh brings the
// denial back. Tokens without admin scope and bad flags are refused.
func TestPolicyPauseCmd(t *testing.T) {
	url, st := startWarden(t)
	home := t.TempDir()
	env := map[string]string{"HOME": home, "WARDEN_ENROLL": enrollToken(t, st)}
	if code, stdout, stderr := runCLI(t, env, "", "enroll", "--server", url, "--token-env", "WARDEN_ENROLL"); code != ExitOK {
		t.Fatalf("enroll: exit %d\n%s%s", code, stdout, stderr)
	}
	dir := clientstate.Dir(func(string) string { return "" }, home)
	if _, pinned, err := clientstate.ServerKey(dir); err != nil || pinned != url {
		t.Fatalf("enrollment pinned no server key: %v (%s)", err, pinned)
	}
	admin := map[string]string{clientstate.EnvServer: url, clientstate.EnvToken: apiToken(t, st, "alice", record.ScopeAdmin)}
	reader := map[string]string{clientstate.EnvServer: url, clientstate.EnvToken: apiToken(t, st, "bob", record.ScopeRead)}
	machine := map[string]string{"HOME": home, clientstate.EnvShip: "off"}
	tier := "production-adjacent"

	// ship runs the shipper once, its policy refresh due (as it is once
	// the refresh interval has passed).
	ship := func(t *testing.T) {
		t.Helper()
		if err := os.Remove(shiplaunch.StatePath(filepath.Join(dir, "audit.jsonl"))); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if code, _, stderr := runCLI(t, map[string]string{"HOME": home}, "", "spool", "ship", "--linger", "-1s"); code != 0 {
			t.Fatalf("spool ship: exit %d, %s", code, stderr)
		}
	}
	hook := func(t *testing.T, cmd string) (string, map[string]any) {
		t.Helper()
		code, stdout, stderr := runCLI(t, machine, bashInput(cmd), "hook")
		if code != 0 {
			t.Fatalf("hook: exit %d, %s", code, stderr)
		}
		d, _ := hookDecision(t, stdout)
		return d, lastAudit(t, filepath.Join(dir, "audit.jsonl"))
	}
	ship(t)
	if d, _ := hook(t, "git push --force origin main"); d != "deny" {
		t.Fatalf("before the pause: %q, want deny", d)
	}

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"ReadToken", reader, []string{"--tier", tier, "--until", "1h", "--reason", "x"}, ExitFailure, "403"},
		{"NoReason", admin, []string{"--tier", tier, "--until", "1h"}, ExitUsage, "--reason"},
		{"BadUntil", admin, []string{"--tier", tier, "--until", "tomorrow", "--reason", "x"}, ExitUsage, "RFC 3339"},
		{"TooLong", admin, []string{"--tier", tier, "--until", "200h", "--reason", "x"}, ExitFailure, "more than"},
		{"UnknownTier", admin, []string{"--tier", "gold", "--until", "1h", "--reason", "x"}, ExitFailure, "unknown tier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.env, "", append([]string{"policy", "pause"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, stderr, tc.code, tc.want)
			}
		})
	}

	code, stdout, stderr := runCLI(t, admin, "", "policy", "pause", "--tier", tier, "--until", "2h", "--reason", "INC-7 hook outage")
	if code != 0 || !strings.Contains(stdout, "Paused Warden's decisions for tier "+tier) || !strings.Contains(stdout, "token:alice") {
		t.Fatalf("pause: exit %d\n%s%s", code, stdout, stderr)
	}
	ship(t)
	if _, err := os.Stat(filepath.Join(dir, clientstate.PauseCacheJSON)); err != nil {
		t.Fatalf("the shipper cached no pause list: %v", err)
	}
	if _, out, _ := runCLI(t, map[string]string{"HOME": home}, "", "spool", "status"); !strings.Contains(out, "tier "+tier+" until") ||
		!strings.Contains(out, "(in force), by token:alice: INC-7 hook outage") {
		t.Errorf("spool status does not show the pause:\n%s", out)
	}
	d, ev := hook(t, "git push --force origin main")
	if d != "" || ev["paused"] != true || ev["pause_reason"] != "INC-7 hook outage" {
		t.Errorf("paused force push: answer %q, audit %v", d, ev)
	}
	if d, ev := hook(t, "warden policy resume --tier "+tier+" --reason done"); d != "deny" || ev["rule_id"] != "commands.warden-tamper" {
		t.Errorf("agent resuming: answer %q, audit %v", d, ev)
	}

	if code, _, stderr := runCLI(t, reader, "", "policy", "resume", "--tier", tier, "--reason", "x"); code != ExitFailure || !strings.Contains(stderr, "403") {
		t.Errorf("resume with a read token: exit %d %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, admin, "", "policy", "resume", "--tier", tier, "--reason", "fixed")
	if code != 0 || !strings.Contains(stdout, "Lifted the pause of tier "+tier) {
		t.Fatalf("resume: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, admin, "", "policy", "resume", "--tier", tier, "--reason", "again"); code != ExitFailure || !strings.Contains(stderr, "not paused") {
		t.Errorf("second resume: exit %d %s", code, stderr)
	}
	ship(t)
	if _, err := os.Stat(filepath.Join(dir, clientstate.PauseCacheJSON)); !os.IsNotExist(err) {
		t.Errorf("pause list still cached after resume: %v", err)
	}
	if d, ev := hook(t, "git push --force origin main"); d != "deny" || ev["paused"] != nil {
		t.Errorf("after resume: answer %q, audit %v", d, ev)
	}
	if _, out, _ := runCLI(t, map[string]string{"HOME": home}, "", "spool", "status"); strings.Contains(out, "pause") {
		t.Errorf("spool status shows a pause after resume:\n%s", out)
	}
	alerts, err := st.ListAlerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, a := range alerts.Alerts {
		rules[a.Rule] = true
	}
	if !rules[server.RulePolicyPaused] || !rules[server.RulePolicyResumed] {
		t.Errorf("alerts %v, want the pause's and the resume's", rules)
	}
}

// lastAudit is the last event in a spool, unwrapped from its signed
// envelope.
func lastAudit(t *testing.T, spool string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(spool)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	line := []byte(lines[len(lines)-1])
	if record.IsSignedAudit(line) {
		env, _, err := record.DecodeSignedAudit(line)
		if err != nil {
			t.Fatal(err)
		}
		line = env.Event
	}
	var ev map[string]any
	if err := json.Unmarshal(line, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestParseUntil(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"2h", now.Add(2 * time.Hour), false},
		{"2026-12-08T09:00:00Z", time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC), false},
		{"-1h", time.Time{}, true},
		{"0s", time.Time{}, true},
		{"tomorrow", time.Time{}, true},
	} {
		got, err := parseUntil(tc.in, now)
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("parseUntil(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
