package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/hookcmd"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/ship"
	"github.com/wardenhq/warden/internal/shiplaunch"
)

// TestQuarantine_LocalHook: a quarantine set on the server reaches a hook
// that decides locally through the shipper's refresh: after it, every
// tool call of the quarantined session is denied naming the quarantine,
// other sessions are decided as before; a release lifts it at the next
// refresh (issue 12 §4).
func TestQuarantine_LocalHook(t *testing.T) {
	ts := startServer(t)
	state := t.TempDir()
	spool := filepath.Join(t.TempDir(), "audit.jsonl")
	env := map[string]string{
		clientstate.EnvServer: ts.url, clientstate.EnvToken: ts.tokens[record.ScopeIngest],
		"XDG_STATE_HOME": state, "HOME": t.TempDir(), clientstate.EnvShip: "off",
	}
	stateDir := clientstate.Dir(func(k string) string { return env[k] }, env["HOME"])

	refresh := func() {
		t.Helper()
		sh, err := ship.New(ship.Options{Spool: spool, Server: ts.url, Token: env[clientstate.EnvToken], StateDir: stateDir,
			Linger: time.Nanosecond, PolicyInterval: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := sh.Run(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := ship.LoadState(shiplaunch.StatePath(spool))
		if err == nil && st.PolicyError != "" {
			t.Fatalf("refresh failed: %s", st.PolicyError)
		}
	}
	// decide runs the local hook on a Bash call (ls) of session and
	// returns its answer.
	decide := func(session string) string {
		t.Helper()
		in := fmt.Sprintf(`{"session_id":%q,"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t1","cwd":%q,"tool_input":{"command":"ls"}}`,
			session, t.TempDir())
		var out, errOut bytes.Buffer
		code := hookcmd.Run(context.Background(), hookcmd.Env{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errOut,
			Getenv: func(k string) string { return env[k] }}, hookcmd.Flags{Spool: spool}, hookcmd.Options{NoShipper: true})
		if code != 0 {
			t.Fatalf("hook exit %d: %s", code, errOut.String())
		}
		return out.String()
	}

	// allowed is the baseline's answer to ls: allow.
	allowed := func(session string) bool {
		t.Helper()
		return strings.Contains(decide(session), `"permissionDecision":"allow"`)
	}
	refresh()
	if !allowed("s-bad") {
		t.Fatal("before the quarantine: ls not allowed")
	}

	r := ts.do(http.MethodPost, "/api/v1/sessions/s-bad/quarantine", ts.tokens[record.ScopeAdmin],
		[]byte(`{"reason":"exfiltration attempt"}`), "Content-Type", "application/json")
	if r.status != http.StatusOK {
		t.Fatalf("quarantine: %d %s", r.status, r.body)
	}
	if !allowed("s-bad") {
		t.Fatal("before a refresh the hook cannot know of the quarantine, yet it denied")
	}
	refresh()
	var ans struct {
		HookSpecificOutput struct {
			PermissionDecision       string `json:"permissionDecision"`
			PermissionDecisionReason string `json:"permissionDecisionReason"`
		} `json:"hookSpecificOutput"`
	}
	got := decide("s-bad")
	if err := json.Unmarshal([]byte(got), &ans); err != nil {
		t.Fatalf("answer %q: %v", got, err)
	}
	if h := ans.HookSpecificOutput; h.PermissionDecision != "deny" || !strings.Contains(h.PermissionDecisionReason, "quarantined") ||
		!strings.Contains(h.PermissionDecisionReason, "exfiltration attempt") || !strings.Contains(h.PermissionDecisionReason, QuarantineRuleID) {
		t.Errorf("quarantined session: %+v, want a deny naming the quarantine", h)
	}
	if !allowed("s-good") {
		t.Error("another session: ls not allowed")
	}
	if st, err := ship.ReadStatus(spool, stateDir, ts.url); err != nil || st.Quarantines == nil || !st.Quarantines.Cached || st.Quarantines.Sessions != 1 {
		t.Errorf("spool status: %+v, %v; want one quarantined session cached", st, err)
	}

	if r := ts.do(http.MethodDelete, "/api/v1/sessions/s-bad/quarantine", ts.tokens[record.ScopeAdmin], nil); r.status != http.StatusNoContent {
		t.Fatalf("release: %d %s", r.status, r.body)
	}
	refresh()
	if !allowed("s-bad") {
		t.Error("after release and refresh: ls not allowed")
	}
}

// TestServeQuarantines: the list is bounded to sessions active in the
// window, and needs a token.
func TestServeQuarantines(t *testing.T) {
	ts := startServer(t)
	for _, id := range []string{"q1", "q2"} {
		if _, err := ts.store.QuarantineSession(context.Background(), id, strings.Repeat("r", 600), "admin"); err != nil {
			t.Fatal(err)
		}
	}
	if r := ts.do(http.MethodGet, QuarantinesPath, "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.status)
	}
	r := ts.do(http.MethodGet, QuarantinesPath, ts.tokens[record.ScopeIngest], nil)
	var list record.QuarantineListV1
	r.json(t, &list)
	if r.status != http.StatusOK || list.Schema != record.SchemaQuarantineListV1 || len(list.Sessions) != 2 {
		t.Fatalf("%d %+v", r.status, list)
	}
	for _, q := range list.Sessions {
		if len(q.Reason) > record.MaxListedReasonBytes {
			t.Errorf("reason of %d bytes listed", len(q.Reason))
		}
	}
	// The window is the last 30 days (the store's contract test covers which
	// sessions fall in it).
	if !list.ActiveSince.Equal(t0.Add(-quarantineWindow)) {
		t.Errorf("active since %v, want %v", list.ActiveSince, t0.Add(-quarantineWindow))
	}
}
