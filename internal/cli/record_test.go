package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
