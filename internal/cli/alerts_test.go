package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
)

// TestAlertsCmd triages an alert on a real server: list, show, ack,
// resolve, and the refusal of a move the lifecycle does not allow.
func TestAlertsCmd(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := server.DefaultConfig(func(string) string { return "" }, "")
	cfg.Addr, cfg.GRPCAddr, cfg.DataDir, cfg.DetectInterval = "127.0.0.1:0", "", dir, time.Hour
	srv, err := server.New(server.Options{Config: cfg, Store: st, Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML(),
		Logger: slog.New(slog.DiscardHandler), Rules: detect.Builtin})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	token := func(scopes ...string) string {
		secret, tok, err := server.NewToken(rand.Reader, "triage", scopes, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	read, admin := token(record.ScopeRead), token(record.ScopeAdmin)
	now := time.Now().UTC()
	res, err := st.RecordAlert(context.Background(), record.AlertHit{Rule: "chain.secret-to-egress", Title: "Secret read followed by network egress",
		Severity: "high", GroupBy: "session", Group: "s1", SessionID: "s1", EventIDs: []string{"e1", "e2"},
		First: now.Add(-time.Minute), Last: now, Fingerprint: "fp1"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Alert.ID
	env := map[string]string{clientstate.EnvServer: "http://" + srv.Addr(), clientstate.EnvToken: read}
	adminEnv := map[string]string{clientstate.EnvServer: "http://" + srv.Addr(), clientstate.EnvToken: admin}

	code, stdout, stderr := runCLI(t, env, "", "alerts", "list", "--status", "open", "--since", "1h")
	if code != 0 || !strings.Contains(stdout, "chain.secret-to-egress") || !strings.Contains(stdout, `session="s1"`) {
		t.Fatalf("list: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, env, "", "alerts", "list", "--status", "resolved")
	if code != 0 || strings.Contains(stdout, "chain.secret-to-egress") {
		t.Errorf("list resolved: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, env, "", "alerts", "show", id)
	var a record.Alert
	if code != 0 || json.Unmarshal([]byte(stdout), &a) != nil || len(a.EventIDs) != 2 {
		t.Fatalf("show: exit %d\n%s", code, stdout)
	}
	code, _, stderr = runCLI(t, env, "", "alerts", "ack", id, "-m", "mine")
	if code != ExitFailure || !strings.Contains(stderr, "403") {
		t.Errorf("ack with a read token: exit %d %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, adminEnv, "", "alerts", "ack", id, "-m", "mine")
	if code != 0 || stdout != "alert "+id+" is acknowledged\n" {
		t.Fatalf("ack: exit %d %s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, adminEnv, "", "alerts", "resolve", id, "--false-positive", "-m", "red team")
	if code != 0 || stdout != "alert "+id+" is false_positive\n" {
		t.Fatalf("resolve: exit %d %s", code, stdout)
	}
	code, _, stderr = runCLI(t, adminEnv, "", "alerts", "ack", id)
	if code != ExitFailure || !strings.Contains(stderr, "cannot become acknowledged") {
		t.Errorf("ack after resolve: exit %d %s", code, stderr)
	}
	got, err := st.Alert(context.Background(), id)
	if err != nil || len(got.History) != 3 || got.History[2].Comment != "red team" || got.History[2].By != "token:triage" {
		t.Errorf("history: %+v, %v", got, err)
	}
	code, _, stderr = runCLI(t, env, "", "alerts", "list", "--since", "yesterday")
	if code != ExitUsage || !strings.Contains(stderr, "--since") {
		t.Errorf("bad --since: exit %d %s", code, stderr)
	}
}
