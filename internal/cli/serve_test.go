package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/wardenhq/warden/internal/testenv"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// freeAddr returns a loopback address nothing listens on (a moment ago).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeCmd runs `warden serve` in-process with flags, environment and
// a config file, answers a central decision, and stops on cancel (what
// SIGTERM does through main's signal context).
func TestServeCmd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "server.yaml")
	os.WriteFile(cfg, []byte("retention_days: 7\nlog_level: debug\ngrpc_addr: \"\"\n"), 0o644)
	t.Setenv("WARDEN_CONFIG", "")
	t.Setenv("WARDEN_DATABASE_URL", "")
	t.Setenv("WARDEN_ADDR", "127.0.0.1:1") // overridden by --addr
	t.Setenv("WARDEN_DATA_DIR", dir)

	_, out, _ := run(t, "token", "create", "--scope", "ingest")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]

	ctx, cancel := context.WithCancel(context.Background())
	var stderr testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--config", cfg, "--addr", addr}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not come up: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	body := `{"session_id":"s1","hook_event_name":"PreToolUse","cwd":"/home/dev/app","tool_name":"Bash","tool_input":{"command":"cat .env"}}`
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/hooks/claude-code", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		HookSpecificOutput struct{ PermissionDecision string } `json:"hookSpecificOutput"`
	}
	json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || answer.HookSpecificOutput.PermissionDecision != "deny" {
		t.Errorf("central decision on cat .env: %d %+v", resp.StatusCode, answer)
	}
	if code, out, errOut := run(t, "health", "--addr", addr); code != ExitOK || !strings.Contains(out, `"ready"`) {
		t.Errorf("health on a running server: exit %d, %q %q", code, out, errOut)
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if code, _, errOut := run(t, "health", "--addr", addr, "--live", "--timeout", "2s"); code != ExitFailure || !strings.Contains(errOut, "is 'warden serve' running") {
		t.Errorf("health on a stopped server: exit %d, %q", code, errOut)
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"serving"`, `"retention_days":7`, `"msg":"stopped"`, `"request_id":`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, `"grpc_addr"`) {
		t.Error("gRPC listened although the config disabled it")
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
}

// TestServeCmd_Invalid: bad configuration stops serve before it starts,
// naming the field and where it came from.
func TestServeCmd_Invalid(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("adr: 127.0.0.1:1\n"), 0o644)
	badPolicy := filepath.Join(dir, "policy.yaml")
	os.WriteFile(badPolicy, []byte("version: 1\nname: x\n"), 0o644)
	t.Setenv("WARDEN_CONFIG", "")
	t.Setenv("WARDEN_DATABASE_URL", "")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"UnknownKey", nil, []string{"--config", bad}, ExitUsage, `unknown key "adr" (did you mean "addr"?)`},
		{"MissingConfig", nil, []string{"--config", filepath.Join(dir, "nope.yaml")}, ExitUsage, "no such file"},
		{"Env", map[string]string{"WARDEN_RETENTION_DAYS": "many"}, nil, ExitUsage, "retention_days (WARDEN_RETENTION_DAYS)"},
		{"Flag", nil, []string{"--addr", "nowhere"}, ExitUsage, `addr: "nowhere"`},
		{"TLSHalf", nil, []string{"--tls-cert", bad}, ExitUsage, "tls_cert and tls_key go together"},
		{"DatabaseURL", nil, []string{"--database-url", "mysql://root:hunter2@db"}, ExitUsage, "database_url: not a postgres:// URL"},
		{"Policy", nil, []string{"--policy", badPolicy, "--addr", freeAddr(t), "--grpc-addr", ""}, ExitFailure, "policy " + badPolicy + " is invalid"},
		{"Tier", nil, []string{"--tier", "nope", "--addr", freeAddr(t), "--grpc-addr", ""}, ExitUsage, `tier: policy baseline: unknown tier "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("WARDEN_DATA_DIR", filepath.Join(dir, tc.name))
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, _, errs := run(t, append([]string{"serve"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d %q, want %d and %q", code, errs, tc.code, tc.want)
			}
			if strings.Contains(errs, "hunter2") {
				t.Errorf("error shows a password: %s", errs)
			}
		})
	}
}

// TestSetServeGC: serve raises the GC target to serveGCPercent unless the
// operator set GOGC, which the runtime has already applied.
func TestSetServeGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		name string
		gogc *string
		want int
	}{
		{"Unset", nil, serveGCPercent},
		{"SetByOperator", ptr("50"), 100},
		{"SetEmpty", ptr(""), 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", "") // restores the variable after the test
			if tc.gogc == nil {
				os.Unsetenv("GOGC")
			} else {
				os.Setenv("GOGC", *tc.gogc)
			}
			debug.SetGCPercent(100)
			setServeGC(0)
			if got := debug.SetGCPercent(100); got != tc.want {
				t.Errorf("GC percent %d, want %d", got, tc.want)
			}
		})
	}
}

// TestSetServeGC_MemoryLimit: the runtime's memory limit is the memory
// budget, unless the operator set GOMEMLIMIT.
func TestSetServeGC_MemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	os.Unsetenv("GOMEMLIMIT")
	setServeGC(576 << 20)
	if got := debug.SetMemoryLimit(-1); got != 576<<20 {
		t.Errorf("memory limit %d, want 576 MiB", got)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	os.Setenv("GOMEMLIMIT", "2GiB")
	setServeGC(576 << 20)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d with GOMEMLIMIT set, want it left alone", got)
	}
}

func ptr(s string) *string { return &s }

func TestHealthURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:8844", "http://127.0.0.1:8844/readyz"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/readyz"},
		{":9000", "http://127.0.0.1:9000/readyz"},
		{"[::]:9000", "http://127.0.0.1:9000/readyz"},
		{"[::1]:9000", "http://[::1]:9000/readyz"},
		{"warden.internal:8844", "http://warden.internal:8844/readyz"},
	} {
		got, err := healthURL(tc.addr, "/readyz")
		if err != nil || got != tc.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", tc.addr, got, err, tc.want)
		}
	}
	if _, err := healthURL("no-port", "/readyz"); err == nil || !strings.Contains(err.Error(), "HOST:PORT") {
		t.Errorf("healthURL without a port: %v", err)
	}
	if code, _, errOut := run(t, "health", "--addr", "no-port"); code != ExitUsage || !strings.Contains(errOut, "give HOST:PORT") {
		t.Errorf("health --addr no-port: exit %d %q", code, errOut)
	}
}
