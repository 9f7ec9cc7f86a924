package cli

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
)

// startWarden starts a real server on loopback with a SQLite store.
func startWarden(t *testing.T) (url string, st store.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := server.DefaultConfig(func(string) string { return "" }, dir)
	cfg.Addr, cfg.GRPCAddr, cfg.DataDir = "127.0.0.1:0", "", dir
	s, err := server.New(server.Options{Config: cfg, Store: st, Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		s.Shutdown(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return "http://" + s.Addr(), st
}

// apiToken stores a new token named name with one scope in st and
// returns its secret.
func apiToken(t *testing.T, st store.Store, name string, scope string) string {
	t.Helper()
	secret, tok, err := server.NewToken(rand.Reader, name, []string{scope}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return secret
}

func enrollToken(t *testing.T, st store.Store) string {
	t.Helper()
	return apiToken(t, st, "enroll", record.ScopeEnroll)
}

// TestEnrollCmd is the client side of enrollment against a real server:
// enroll from a token file, a variable or standard input; the key and
// device files are 0600 in the state directory, the client configuration
// carries the device credential; a hook call's audit is shipped signed
// and stored verified; re-enrolling needs --force.
func TestEnrollCmd(t *testing.T) {
	url, st := startWarden(t)
	home := t.TempDir()
	tokFile := filepath.Join(t.TempDir(), "enroll.token")
	if err := os.WriteFile(tokFile, []byte(enrollToken(t, st)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": home}
	code, stdout, stderr := runCLI(t, env, "", "enroll", "--server", url, "--token-file", tokFile, "--name", "alice-laptop")
	if code != ExitOK || !strings.Contains(stdout, "Enrolled this machine as dev_") {
		t.Fatalf("enroll: exit %d\n%s%s", code, stdout, stderr)
	}
	dir := clientstate.Dir(func(string) string { return "" }, home)
	keyPath, devPath, _ := clientstate.DevicePaths(dir)
	for _, p := range []string{keyPath, devPath, filepath.Join(dir, clientstate.ClientConfigName)} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", p, err, fi.Mode().Perm())
		}
	}
	dev, err := clientstate.LoadDevice(dir)
	if err != nil {
		t.Fatal(err)
	}
	devices, err := st.ListDevices(context.Background())
	if err != nil || len(devices) != 1 || devices[0].ID != dev.DeviceID || devices[0].Name != "alice-laptop" {
		t.Fatalf("server devices %+v (%v), want %s", devices, err, dev.DeviceID)
	}
	conn := clientstate.Connect(func(string) string { return "" }, home)
	if conn.DeviceID != dev.DeviceID || !strings.HasPrefix(conn.Token, server.DeviceCredentialPrefix) || conn.Server != url {
		t.Errorf("connection %+v: the shipper must send the device credential", conn)
	}

	t.Run("HookShipsSigned", func(t *testing.T) {
		spool := filepath.Join(dir, "audit.jsonl")
		t.Cleanup(func() { stopShipper(t, spool) })
		code, stdout, stderr := runCLI(t, env, bashInput("cat .env"), "hook")
		if d, _ := hookDecision(t, stdout); code != 0 || d != "deny" || stderr != "" {
			t.Fatalf("hook: exit %d, answer %q, stderr %q", code, stdout, stderr)
		}
		line, err := os.ReadFile(spool)
		if err != nil || !record.IsSignedAudit(line) {
			t.Fatalf("spool %q (%v): want a signed envelope", line, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			events, _ := st.SessionEvents(context.Background(), "s1")
			if len(events) == 1 {
				if v := events[0].Verification; v == nil || !v.Verified || v.DeviceID != dev.DeviceID {
					t.Errorf("stored verification %+v, want verified for %s", v, dev.DeviceID)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server has %d events of the session, want 1", len(events))
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("AlreadyEnrolled", func(t *testing.T) {
		code, _, stderr := runCLI(t, map[string]string{"HOME": home, "TOK": enrollToken(t, st)}, "", "enroll", "--server", url, "--token-env", "TOK")
		if code != ExitFailure || !strings.Contains(stderr, "already enrolled as "+dev.DeviceID) || !strings.Contains(stderr, "--force") {
			t.Errorf("re-enroll: exit %d %s", code, stderr)
		}
		if again, _ := clientstate.LoadDevice(dir); again == nil || again.DeviceID != dev.DeviceID {
			t.Errorf("refused re-enrollment changed the identity: %+v", again)
		}
	})
	t.Run("Force", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, env, enrollToken(t, st)+"\n", "enroll", "--server", url, "--force")
		if code != ExitOK {
			t.Fatalf("enroll --force from stdin: exit %d %s%s", code, stdout, stderr)
		}
		again, err := clientstate.LoadDevice(dir)
		if err != nil || again.DeviceID == dev.DeviceID || again.Key.Equal(dev.Key) {
			t.Errorf("after --force: %+v (%v), want a new device and key", again, err)
		}
	})
	t.Run("UsedToken", func(t *testing.T) {
		code, _, stderr := runCLI(t, map[string]string{"HOME": t.TempDir()}, "", "enroll", "--server", url, "--token-file", tokFile)
		if code != ExitFailure || !strings.Contains(stderr, "already used") {
			t.Errorf("enroll with a used token: exit %d %s", code, stderr)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"enroll", "--token-file", tokFile},
			{"enroll", "--server", "ftp://x", "--token-file", tokFile},
			{"enroll", "--server", url, "--token-file", tokFile, "--token-env", "X"},
			{"enroll", "--server", url, "--token-env", "UNSET"},
		} {
			if code, _, stderr := runCLI(t, map[string]string{"HOME": t.TempDir()}, "", args...); code != ExitUsage {
				t.Errorf("%v: exit %d %s, want %d", args, code, stderr, ExitUsage)
			}
		}
	})
}

// TestDeviceCmd lists and revokes devices in the store.
func TestDeviceCmd(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, _ := server.NewToken(rand.Reader, "e", []string{record.ScopeEnroll}, time.Now())
	if err := st.CreateToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	pub := make([]byte, 32)
	pub[0] = 1
	if _, err := st.EnrollDevice(context.Background(), server.HashToken(secret), record.Device{ID: "dev_0a", Name: "evil\x1b[2Jname",
		PublicKey: pub, CredentialHash: "c", EnrolledAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	env := map[string]string{"WARDEN_DATA_DIR": dir}
	code, stdout, stderr := runCLI(t, env, "", "device", "list")
	if code != ExitOK || !strings.Contains(stdout, "dev_0a") || strings.Contains(stdout, "\x1b") {
		t.Errorf("list: exit %d %q %s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, env, "", "device", "revoke", "dev_0b"); code != ExitFailure || !strings.Contains(stderr, "no device") {
		t.Errorf("revoke unknown: exit %d %s", code, stderr)
	}
	if code, _, _ := runCLI(t, env, "", "device", "revoke", "laptop"); code != ExitUsage {
		t.Errorf("revoke a non-ID: exit %d", code)
	}
	if code, stdout, stderr := runCLI(t, env, "", "device", "revoke", "dev_0a"); code != ExitOK || !strings.Contains(stdout, "Revoked device dev_0a") {
		t.Errorf("revoke: exit %d %s %s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, env, "", "device", "list", "--json")
	if code != ExitOK || !strings.Contains(stdout, `"revoked_at"`) {
		t.Errorf("list --json after revoke: %s", stdout)
	}
}
