package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
)

// consoleServer is a started warden serve on loopback, on SQLite, with
// the full example policy and one token per scope.
type consoleServer struct {
	url    string
	srv    *server.Server
	store  store.Store
	tokens map[string]string
}

// policyFile is the example policy with tiers and exceptions.
const policyFile = "../policy/testdata/good/full.yaml"

func startConsoleServer(tb testing.TB, dir string) *consoleServer {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	yaml, err := os.ReadFile(policyFile)
	if err != nil {
		tb.Fatal(err)
	}
	pol, err := policyfile.Parse(policyFile, yaml)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := server.DefaultConfig(func(string) string { return "" }, "")
	cfg.Addr, cfg.GRPCAddr, cfg.DataDir = "127.0.0.1:0", "", dir
	s, err := server.New(server.Options{Config: cfg, Store: st, Policy: pol, PolicyYAML: yaml,
		Journal: filepath.Join(dir, server.JournalFile),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		s.Shutdown(context.Background())
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	cs := &consoleServer{url: "http://" + s.Addr(), srv: s, store: st, tokens: map[string]string{}}
	for _, scope := range record.Scopes {
		cs.tokens[scope] = newSecret(tb, st, "console-"+scope, scope, time.Now())
	}
	return cs
}

// decide asks the server for a central decision on a PreToolUse call of
// Read in session and returns Claude Code's permissionDecision and its
// reason.
func (cs *consoleServer) decide(tb testing.TB, session string) (decision, reason string) {
	tb.Helper()
	return cs.decideCall(tb, session, "Read", "toolu_x", map[string]any{"file_path": "/home/dev/app/README.md"})
}

// decideCall asks the server for a central decision on a PreToolUse call
// of tool with input (tool use id useID) in session, as the hook sends it,
// and returns Claude Code's permissionDecision and its reason.
func (cs *consoleServer) decideCall(tb testing.TB, session, tool, useID string, input map[string]any) (decision, reason string) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{
		"session_id": session, "transcript_path": "/home/dev/.claude/projects/x/" + session + ".jsonl",
		"cwd": "/home/dev/app", "hook_event_name": "PreToolUse", "permission_mode": "default",
		"tool_name": tool, "tool_input": input, "tool_use_id": useID,
	})
	req, _ := http.NewRequest("POST", cs.url+"/v1/hooks/claude-code", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+cs.tokens[record.ScopeIngest])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		HookSpecificOutput struct {
			PermissionDecision       string `json:"permissionDecision"`
			PermissionDecisionReason string `json:"permissionDecisionReason"`
		} `json:"hookSpecificOutput"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		tb.Fatalf("decision: %d %v", resp.StatusCode, err)
	}
	return d.HookSpecificOutput.PermissionDecision, d.HookSpecificOutput.PermissionDecisionReason
}

// record fetches a session's run record through the API.
func (cs *consoleServer) record(tb testing.TB, session string) record.RunRecord {
	tb.Helper()
	req, _ := http.NewRequest("GET", cs.url+"/api/v1/sessions/"+session+"/record", nil)
	req.Header.Set("Authorization", "Bearer "+cs.tokens[record.ScopeRead])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var rr record.RunRecord
	if err := json.NewDecoder(resp.Body).Decode(&rr); err != nil {
		tb.Fatalf("record: %d %v", resp.StatusCode, err)
	}
	return rr
}
