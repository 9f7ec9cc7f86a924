package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/clientstate"
)

func TestSessionsList(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+shipToken {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"unknown or revoked token"}}`))
			return
		}
		if r.URL.Path != "/api/v1/sessions" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		queries = append(queries, r.URL.RawQuery)
		if r.URL.Query().Get("cursor") == "" {
			w.Write([]byte(`{"sessions":[{"session_id":"s2","user_id":"ana","repository":"app","host":"lap\u001b[2J","tier":"strict",
				"first_time":"2026-11-02T10:00:00Z","last_time":"2026-11-02T11:00:00Z","counts":{"events":9,"denials":2,"rejections":1},
				"rollup":{"cost_usd":1.5}}],"next_cursor":"c1"}`))
			return
		}
		w.Write([]byte(`{"sessions":[{"session_id":"s1","first_time":"2026-11-01T10:00:00Z","last_time":"2026-11-01T10:00:00Z","counts":{},"rollup":{}}]}`))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	env := map[string]string{clientstate.EnvToken: shipToken}

	// HOST:PORT, every filter, one page: the cursor of the next is printed.
	code, stdout, stderr := runCLI(t, env, "", "sessions", "list", "--server", host, "--user", "ana", "--repository", "app",
		"--tier", "strict", "--device", "lap", "--team", "pay", "--denials", "--alerts", "--conflicts", "--since", "2026-11-01", "--until", "2026-11-02", "--limit", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "alerts=1&conflicts=1&denials=1&device=lap&limit=1&repository=app&since=2026-11-01T00%3A00%3A00Z&team=pay&tier=strict&until=2026-11-03T00%3A00%3A00Z&user=ana"
	if len(queries) != 1 || queries[0] != want {
		t.Errorf("queries %q, want %q", queries, want)
	}
	for _, s := range []string{"SESSION", "s2", "2026-11-02 10:00Z", "ana", `lap\u001B[2J`, "strict", "3", "$1.50", "more: --cursor c1"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("table lacks %q:\n%s", s, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b") {
		t.Error("a terminal escape reached the table")
	}

	// --all follows the cursor; JSON from $WARDEN_SERVER as a URL.
	queries = nil
	env[clientstate.EnvServer] = srv.URL
	code, stdout, stderr = runCLI(t, env, "", "sessions", "list", "--all", "--format", "json")
	var page sessionsPage
	if code != 0 || json.Unmarshal([]byte(stdout), &page) != nil || len(page.Sessions) != 2 || page.NextCursor != "" || len(queries) != 2 {
		t.Errorf("--all: exit %d, %d queries, %s %s", code, len(queries), stdout, stderr)
	}

	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		code int
		msg  string
	}{
		"BadServer":   {[]string{"--server", "not a server"}, env, ExitUsage, "HOST:PORT"},
		"NoToken":     {nil, map[string]string{clientstate.EnvServer: srv.URL}, ExitUsage, "warden token create --scope read"},
		"BadToken":    {[]string{"--token", "wdn_wrong"}, map[string]string{clientstate.EnvServer: srv.URL}, ExitFailure, "check --token"},
		"BadSince":    {[]string{"--since", "yesterday"}, env, ExitUsage, "want a date"},
		"BadLimit":    {[]string{"--limit", "0"}, env, ExitUsage, "want 1 to 1000"},
		"BadFormat":   {[]string{"--format", "xml"}, env, ExitUsage, "table or json"},
		"NoServerRun": {[]string{"--server", "127.0.0.1:1"}, env, ExitFailure, "start one with 'warden serve'"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.env, "", append([]string{"sessions", "list"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d, %q; want %d and %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
}

func TestSessionsServerDefault(t *testing.T) {
	env := &Env{Getenv: func(string) string { return "" }}
	got, err := sessionsServer("", env)
	if err != nil || got != "http://127.0.0.1:8844" {
		t.Errorf("default server %q, %v", got, err)
	}
	if got, err := sessionsServer("https://w.example:443/", env); err != nil || got != "https://w.example:443" {
		t.Errorf("URL %q, %v", got, err)
	}
}
