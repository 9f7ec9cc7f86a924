package cli

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
)

// TestReloadOnHUP: SIGHUP reloads the server's rules from their
// directory; rules that no longer load leave the ones in force.
func TestReloadOnHUP(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	if err := os.Mkdir(rules, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(src string) {
		if err := os.WriteFile(filepath.Join(rules, "r.yaml"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("rules:\n  - {id: one, title: One, severity: low, match: 'event.kind == \"x\"'}\n")
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := server.DefaultConfig(func(string) string { return "" }, "")
	cfg.Addr, cfg.GRPCAddr, cfg.DataDir, cfg.DetectInterval = "127.0.0.1:0", "", dir, time.Hour
	srv, err := server.New(server.Options{Config: cfg, Store: st, Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML(),
		Logger: slog.New(slog.DiscardHandler), Rules: serveRules(rules)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := reloadOnHUP(ctx, srv, slog.New(slog.DiscardHandler))
	defer stop()
	hup := func(want int) {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(srv.Rules().Rules) != want {
			if time.Now().After(deadline) {
				t.Fatalf("after SIGHUP: %d rules, want %d", len(srv.Rules().Rules), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	write("rules:\n  - {id: one, title: One, severity: low, match: 'event.kind == \"x\"'}\n  - {id: two, title: Two, severity: low, match: 'event.kind == \"y\"'}\n")
	hup(2)
	write("rules:\n  - {id: bad, title: Bad, severity: low, match: 'event.nope'}\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(srv.Rules().Rules); n != 2 {
		t.Errorf("after a bad reload: %d rules, want the 2 in force", n)
	}
	if serveRules("none") != nil {
		t.Error(`rules "none" must turn detection off`)
	}
}
