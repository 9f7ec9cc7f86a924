package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
)

var sessionTranscript = filepath.Join("..", "transcript", "testdata", "session.jsonl")

func TestRecordCmd_Transcript(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "", "record", "--transcript", sessionTranscript)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rr record.RunRecord
	if err := json.Unmarshal([]byte(stdout), &rr); err != nil {
		t.Fatal(err)
	}
	if rr.Schema != record.SchemaRunRecordV1 || rr.SessionID != "61916ef5-beae-40e3-b102-3d3ea0422468" || len(rr.Commands) != 6 || len(rr.Denials) != 2 {
		t.Errorf("record %s %s: %d commands, %d denials", rr.Schema, rr.SessionID, len(rr.Commands), len(rr.Denials))
	}
	code, stdout, _ = runCLI(t, nil, "", "record", "--transcript", sessionTranscript, "--format", "md")
	if code != 0 || !strings.HasPrefix(stdout, "# Run record: session `61916ef5") || !strings.Contains(stdout, "| `cat .env` | deny (paths.secrets) | refused |") {
		t.Errorf("exit %d, markdown:\n%s", code, stdout)
	}
	code, _, stderr = runCLI(t, nil, "", "record", "--transcript", filepath.Join(t.TempDir(), "missing.jsonl"))
	if code != ExitFailure || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
}

func TestRecordCmd_Server(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer "+shipToken:
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"unknown token"}}`))
		case r.URL.Path != "/api/v1/sessions/s1/record":
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"session \"x\" not found"}}`))
		case r.URL.Query().Get("format") == "md":
			w.Write([]byte("# Run record: session `s1`\n"))
		default:
			w.Write([]byte(`{"schema":"warden.run_record.v1","session_id":"s1"}`))
		}
	}))
	defer srv.Close()
	env := map[string]string{clientstate.EnvServer: srv.URL + "/", clientstate.EnvToken: shipToken}

	code, stdout, _ := runCLI(t, env, "", "record", "s1")
	if code != 0 || stdout != "{\n  \"schema\": \"warden.run_record.v1\",\n  \"session_id\": \"s1\"\n}\n" {
		t.Errorf("exit %d, json %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, env, "", "record", "s1", "--format", "md")
	if code != 0 || stdout != "# Run record: session `s1`\n" {
		t.Errorf("exit %d, md %q", code, stdout)
	}
	code, _, stderr := runCLI(t, env, "", "record", "x")
	if code != ExitFailure || !strings.Contains(stderr, `404 Not Found: session "x" not found`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, map[string]string{clientstate.EnvServer: srv.URL}, "", "record", "s1", "--token", "wdn_wrong")
	if code != ExitFailure || !strings.Contains(stderr, "401 Unauthorized: unknown token") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, _ = runCLI(t, nil, "", "record", "s1", "--server", srv.URL, "--token", shipToken)
	if code != 0 {
		t.Errorf("flags instead of environment: exit %d", code)
	}
}

func TestRecordCmd_Usage(t *testing.T) {
	env := map[string]string{clientstate.EnvServer: "https://w.example.com", clientstate.EnvToken: shipToken}
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"Nothing", env, []string{"record"}, "give a SESSION id"},
		{"Both", env, []string{"record", "s1", "--transcript", "x.jsonl"}, "not both"},
		{"Format", env, []string{"record", "s1", "--format", "html"}, "want json or md"},
		{"NoServer", map[string]string{clientstate.EnvToken: shipToken}, []string{"record", "s1"}, "no server"},
		{"NoToken", map[string]string{clientstate.EnvServer: "https://w.example.com"}, []string{"record", "s1"}, "no token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.env, "", tt.args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tt.want)
			}
		})
	}
}

// TestRecordCmd_Fixture exports a session's events as a fixture that a
// rule test then replays: the incident becomes a regression test.
func TestRecordCmd_Fixture(t *testing.T) {
	const events = `{"id":"f1","source":"hook","kind":"PreToolUse","time":"2026-01-01T00:00:00Z","session_id":"s1","decision":"ask","audit":{"schema":"warden.audit.v1","event_id":"f1","time":"2026-01-01T00:00:00Z","hook_event":"PreToolUse","session_id":"s1","tool":"WebFetch","url":"https://paste.example/x","decision":"ask","rule_id":"web.default","duration_us":0}}
{"id":"f2","source":"hook","kind":"PreToolUse","time":"2026-01-01T00:00:40Z","session_id":"s1","decision":"deny","audit":{"schema":"warden.audit.v1","event_id":"f2","time":"2026-01-01T00:00:40Z","hook_event":"PreToolUse","session_id":"s1","tool":"Read","path":"/home/dev/app/.env","decision":"deny","rule_id":"paths.secrets","duration_us":0}}
`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer "+shipToken:
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/api/v1/sessions/s1/events":
			w.Write([]byte(events))
		case r.URL.Path == "/api/v1/sessions/junk/events":
			w.Write([]byte("<html>proxy error</html>\n"))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"session not found"}}`))
		}
	}))
	defer srv.Close()
	env := map[string]string{clientstate.EnvServer: srv.URL, clientstate.EnvToken: shipToken}
	code, stdout, stderr := runCLI(t, env, "", "record", "s1", "--fixture")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "incident.jsonl"), []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	rules := `rules:
  - id: t.chain
    title: fetch then secret
    severity: high
    sequence:
      within: 5m
      steps:
        - if: event.tool == "WebFetch" && event.decision != "deny"
        - if: event.rule_id == "paths.secrets"
    tests:
      - {name: the incident, fixture: incident.jsonl, want: {alerts: 1, events: [f1, f2]}}
      - {name: quiet, events: [{kind: PreToolUse, tool: Read, rule_id: paths.secrets}], want: 0}
`
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, nil, "", "rules", "test", dir)
	if code != 0 || !strings.Contains(stdout, "rule tests: 2 passed, 0 failed") {
		t.Errorf("rules test on the exported fixture: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, env, "", "record", "junk", "--fixture")
	if code != ExitFailure || !strings.Contains(stderr, "not a session fixture") {
		t.Errorf("junk answer: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, env, "", "record", "nope", "--fixture")
	if code != ExitFailure || !strings.Contains(stderr, "session not found") {
		t.Errorf("unknown session: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, env, "", "record", "--transcript", "x.jsonl", "--fixture")
	if code != ExitUsage || !strings.Contains(stderr, "does not apply to --transcript") {
		t.Errorf("fixture with transcript: exit %d, %q", code, stderr)
	}
}
