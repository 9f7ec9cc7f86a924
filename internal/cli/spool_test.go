package cli

import (
	"bufio"
	"encoding/json"
	"github.com/wardenhq/warden/internal/shiplaunch"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/ship"
)

// ingest is a minimal audit endpoint: it stores event_ids, or fails with
// status when set.
type ingest struct {
	mu     sync.Mutex
	ids    []string
	drops  string
	status int
}

func newIngest(t *testing.T) (*ingest, *httptest.Server) {
	t.Helper()
	in := &ingest{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+shipToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != ship.AuditPath {
			http.NotFound(w, r)
			return
		}
		in.mu.Lock()
		defer in.mu.Unlock()
		if in.status != 0 {
			http.Error(w, "storage unavailable", in.status)
			return
		}
		in.drops = r.Header.Get(ship.HeaderDrops)
		n := 0
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
			var ev record.AuditEventV1
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				in.ids = append(in.ids, ev.EventID)
				n++
			}
		}
		json.NewEncoder(w).Encode(map[string]int{"accepted": n, "duplicates": 0, "rejected": 0})
	}))
	t.Cleanup(srv.Close)
	return in, srv
}

func appendSpool(t *testing.T, spool string, n int) {
	t.Helper()
	sp := &clientstate.Spool{Path: spool}
	for range n {
		if err := sp.Append(record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: record.NewEventID(nil, time.Now()),
			Time: time.Now().UTC(), HookEvent: "PreToolUse", Tool: "Bash", Command: "ls", Decision: record.DecisionNone}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSpoolCmd_ShipAndStatus(t *testing.T) {
	in, srv := newIngest(t)
	home := t.TempDir()
	spool := filepath.Join(home, "audit.jsonl")
	appendSpool(t, spool, 3)
	env := map[string]string{"HOME": home, "WARDEN_SPOOL": spool, clientstate.EnvServer: srv.URL, clientstate.EnvToken: shipToken}

	code, _, stderr := runCLI(t, env, "", "spool", "ship", "--linger", "-1s", "--state-dir", "")
	if code != 0 || stderr != "" {
		t.Fatalf("spool ship: exit %d, stderr %q", code, stderr)
	}
	if len(in.ids) != 3 || in.drops != "0" {
		t.Errorf("server got %d events, drops %q", len(in.ids), in.drops)
	}

	code, stdout, _ := runCLI(t, env, "", "spool", "status", "--json")
	var st ship.Status
	if err := json.Unmarshal([]byte(stdout), &st); code != 0 || err != nil {
		t.Fatalf("status: exit %d, %v: %s", code, err, stdout)
	}
	if st.Delivered != 3 || st.Pending != 0 || st.Running || st.Server != srv.URL || st.Spool != spool {
		t.Errorf("status %+v", st)
	}

	// The server fails: the text status says so and what waits.
	appendSpool(t, spool, 2)
	in.mu.Lock()
	in.status = http.StatusServiceUnavailable
	in.mu.Unlock()
	shipEnv := map[string]string{}
	for k, v := range env {
		shipEnv[k] = v
	}
	code, _, _ = runCLI(t, shipEnv, "", "spool", "ship", "--linger", "-1s", "--idle-exit", "1ms", "--state-dir", "")
	if code != 0 {
		t.Fatalf("spool ship against a failing server: exit %d", code)
	}
	code, stdout, _ = runCLI(t, env, "", "spool", "status")
	if code != 0 {
		t.Fatalf("spool status: exit %d\n%s", code, stdout)
	}
	for _, want := range []string{"pending        2 events", "delivered      3 events (accepted 3, duplicates 0, rejected 0)",
		"drops          0 events", "last error", "503 Service Unavailable: storage unavailable", "next attempt", "not running"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, stdout)
		}
	}
}

func TestSpoolCmd_ShipLocked(t *testing.T) {
	_, srv := newIngest(t)
	home := t.TempDir()
	spool := filepath.Join(home, "audit.jsonl")
	appendSpool(t, spool, 1)
	lock, err := shiplaunch.TryLock(shiplaunch.LockPath(spool))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	env := map[string]string{"HOME": home, "WARDEN_SPOOL": spool, clientstate.EnvServer: srv.URL, clientstate.EnvToken: shipToken}
	code, _, stderr := runCLI(t, env, "", "spool", "ship", "--linger", "-1s")
	if code != 0 || !strings.Contains(stderr, "another shipper is running") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, stdout, _ := runCLI(t, env, "", "spool", "status")
	if code != 0 || !strings.Contains(stdout, "running (pid") {
		t.Errorf("status: exit %d\n%s", code, stdout)
	}
}

func TestSpoolCmd_Usage(t *testing.T) {
	home := t.TempDir()
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoServer", map[string]string{"HOME": home, clientstate.EnvToken: shipToken}, "no server"},
		{"NoToken", map[string]string{"HOME": home, clientstate.EnvServer: "https://w.example.com"}, "no token"},
		{"BadServer", map[string]string{"HOME": home, clientstate.EnvServer: "w.example.com", clientstate.EnvToken: shipToken}, "want http(s)"},
		{"BadServerScheme", map[string]string{"HOME": home, clientstate.EnvServer: "ftp://w.example.com", clientstate.EnvToken: shipToken}, "want http(s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.env, "", "spool", "ship")
			if code != ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tt.want)
			}
		})
	}
}
