package record_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/golden"

	"github.com/wardenhq/warden/internal/otlp"
	"github.com/wardenhq/warden/internal/record"
)

// analysed is how a server builds records: Bash commands analysed by the
// engine.
var analysed = record.BuildOptions{Analyze: func(command, cwd string) record.CommandAnalysis {
	return record.CommandAnalysis(engine.Touches(command, cwd, ""))
}}

// stored returns events as a store gives them back: through JSON, numbers
// as float64, ordered by time (stably, like arrival).
func stored(tb testing.TB, events []record.Event) []record.Event {
	tb.Helper()
	out := make([]record.Event, len(events))
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(b, &out[i]); err != nil {
			tb.Fatal(err)
		}
		out[i].Arrival = e.Arrival // the store's, never encoded
	}
	slices.SortStableFunc(out, func(a, b record.Event) int { return a.Time.Compare(b.Time) })
	return out
}

func decodeLogs(tb testing.TB, name string, keepContent bool) []record.Event {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join(golden.Fixtures(tb, "otlp"), name))
	if err != nil {
		tb.Fatal(err)
	}
	events, err := otlp.NewDecoder(otlp.Options{KeepContent: keepContent}).DecodeLogs(body, otlp.ContentTypeJSON)
	if err != nil {
		tb.Fatal(err)
	}
	return events
}

// rollup sums a metrics capture as a store's session summary would.
func rollup(tb testing.TB, name string) record.Rollup {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join(golden.Fixtures(tb, "otlp"), name))
	if err != nil {
		tb.Fatal(err)
	}
	points, err := otlp.DecodeMetrics(body, otlp.ContentTypeJSON)
	if err != nil {
		tb.Fatal(err)
	}
	var r record.Rollup
	for _, p := range points {
		r.Add(record.RollupKind(p), p.Value)
	}
	return r
}

// Hook audit events of the tool-details capture's session, as Warden's
// hook (or the central decision endpoint) records them.
const detailsSession = "decd3a59-fb5a-4d8c-a1d3-1e9e19aeaefa"

var detailsT0 = time.Date(2026, 11, 23, 0, 57, 43, 0, time.UTC)

func audit(offset time.Duration, ev record.AuditEventV1) record.Event {
	ev.Schema = record.SchemaAuditV1
	ev.SessionID = detailsSession
	ev.Time = detailsT0.Add(offset)
	if ev.EventID == "" {
		ev.EventID = strings.Repeat("0", 24) + offset.String()
	}
	if ev.Decision == "" {
		ev.Decision = record.DecisionNone
	}
	ev.User, ev.Host, ev.Cwd = "dev", "devbox", "/home/dev/app"
	ev.Repository, ev.Branch = "git@github.com:acme/app.git", "main"
	if ev.HookEvent == "PreToolUse" || ev.HookEvent == "PermissionRequest" || ev.HookEvent == "PostToolBatch" {
		ev.Policy, ev.PolicyVersion, ev.Tier = "baseline", "2026.11", "standard"
		ev.PermissionMode = "acceptEdits"
	}
	return record.Event{ID: ev.EventID, Source: record.SourceHook, Kind: ev.HookEvent, Time: ev.Time,
		SessionID: ev.SessionID, UserID: ev.User, PromptID: ev.PromptID, Tool: ev.Tool, Decision: ev.Decision, Audit: &ev}
}

const detailsPrompt = "91b70f2e-1742-48c5-9886-fa09ba525e22"

func hookEvents() []record.Event {
	n22 := 22
	s := time.Second
	return []record.Event{
		audit(1*s, record.AuditEventV1{HookEvent: "SessionStart", Source: "startup"}),
		audit(2*s, record.AuditEventV1{HookEvent: "UserPromptSubmit", PromptID: detailsPrompt, PromptLength: &n22}),
		// The hook-denied call of the capture, as Warden decided it.
		audit(3*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "toolu_0000", PromptID: detailsPrompt, Tool: "Bash",
			Command: "echo forbidden-thing", Decision: "deny", RuleID: "conditions.forbidden", Reason: "forbidden word"}),
		audit(4*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "toolu_0100", PromptID: detailsPrompt, Tool: "Bash",
			Command: "echo telemetry-ok", Decision: "allow", RuleID: "commands.read-only"}),
		audit(5*s, record.AuditEventV1{HookEvent: "PostToolUse", ToolUseID: "toolu_0100", Tool: "Bash", Command: "echo telemetry-ok"}),
		// Calls telemetry did not cover (it was cut off in the capture).
		audit(20*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "toolu_r", Tool: "Read", Path: "/home/dev/app/README.md", Decision: "none"}),
		audit(21*s, record.AuditEventV1{HookEvent: "PostToolUse", ToolUseID: "toolu_r", Tool: "Read", Path: "/home/dev/app/README.md"}),
		audit(22*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "toolu_env", Tool: "Read", Path: "/home/dev/app/.env",
			Decision: "deny", RuleID: "paths.secrets", Reason: "reads a secrets file"}),
		audit(23*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "toolu_w", Tool: "Write", Path: "/home/dev/app/main.go", Decision: "allow"}),
		audit(24*s, record.AuditEventV1{HookEvent: "PostToolUse", ToolUseID: "toolu_w", Tool: "Write", Path: "/home/dev/app/main.go"}),
		audit(25*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "toolu_t", Tool: "Bash", Command: "cd app && go test ./...",
			Decision: "ask", RuleID: "commands.test", Reason: "runs tests"}),
		audit(26*s, record.AuditEventV1{HookEvent: "PermissionRequest", Tool: "Bash", Command: "cd app && go test ./..."}),
		audit(27*s, record.AuditEventV1{HookEvent: "PostToolUseFailure", ToolUseID: "toolu_t", Tool: "Bash", Error: "exit status 1"}),
		audit(28*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "toolu_m", Tool: "mcp__notes__write_note",
			MCPServer: "notes", MCPTool: "write_note", Decision: "ask", RuleID: "mcp.notes.write", Reason: "writes notes"}),
		audit(29*s, record.AuditEventV1{HookEvent: "PostToolBatch", ToolUseID: "toolu_x", Tool: "MultiEdit", Path: "/home/dev/app/a.go",
			Decision: "deny", RuleID: "unknown_tool", Reason: "unknown tool", ObservedOnly: true}),
		audit(30*s, record.AuditEventV1{HookEvent: "PreToolUse", Decision: "deny", Failure: record.FailureInputInvalid,
			Reason: "Warden: could not read this hook call"}),
		audit(31*s, record.AuditEventV1{HookEvent: "SessionEnd", EndReason: "other"}),
	}
}

// forgedEvents are a session's events as they arrived (Arrival set):
// Warden's deny, Claude Code's telemetry that the call ran anyway, then a
// forged audit post with an ingest token.
func forgedEvents() []record.Event {
	s := time.Second
	start := audit(s, record.AuditEventV1{HookEvent: "SessionStart", Source: "startup", EventID: "start"})
	deny := audit(3*s, record.AuditEventV1{HookEvent: "PreToolUse", EventID: "deny", ToolUseID: "toolu_push", Tool: "Bash",
		Command: "git push --force", Decision: "deny", RuleID: "git.force-push", Reason: "rewrites shared `history` | <b>"})
	result := record.Event{ID: "otlp-result", Source: record.SourceOTLP, Kind: "tool_result", Time: detailsT0.Add(5 * s),
		SessionID: detailsSession, Tool: "Bash", Attrs: map[string]any{"tool_use_id": "toolu_push", "success": "true"}}
	// Posted last but claiming a time before the deny: arrival, not the
	// claimed time, decides which one stands.
	allow := audit(2*s, record.AuditEventV1{HookEvent: "PreToolUse", EventID: "forged-allow", ToolUseID: "toolu_push", Tool: "Bash",
		Command: "git push", Decision: "allow"})
	allow.Audit.User, allow.UserID = "mallory|*evil*", "mallory|*evil*"
	backdated := audit(-time.Hour, record.AuditEventV1{HookEvent: "SessionStart", Source: "startup", EventID: "forged-start"})
	backdated.Audit.User, backdated.UserID = "mallory|*evil*", "mallory|*evil*"
	// The same call decided centrally too: no user, and no contradiction.
	central := audit(3*time.Second+time.Millisecond, record.AuditEventV1{HookEvent: "PreToolUse", EventID: "central", ToolUseID: "toolu_push",
		Tool: "Bash", Command: "git push --force", Decision: "deny", RuleID: "git.force-push"})
	central.Audit.User, central.Audit.Host, central.UserID = "", "", ""
	events := []record.Event{start, deny, central, result, allow, backdated}
	for i := range events {
		events[i].Arrival = int64(i + 1)
	}
	return events
}

// bashEvents are a session that reads, searches, writes and tests
// through Bash, some calls audited by the hook (with its analysis, or by
// an older hook without it), some known from telemetry alone.
func bashEvents() []record.Event {
	s := time.Second
	root := func(e record.Event) record.Event { e.Audit.Root = "/home/dev/app"; return e }
	otlpEvent := func(id string, at time.Duration, kind, tool string, attrs map[string]any) record.Event {
		d, _ := attrs["decision"].(string)
		return record.Event{ID: id, Source: record.SourceOTLP, Kind: kind, Time: detailsT0.Add(at), SessionID: detailsSession,
			Tool: tool, Decision: d, Attrs: attrs}
	}
	return []record.Event{
		root(audit(1*s, record.AuditEventV1{HookEvent: "SessionStart", Source: "startup"})),
		// Audited, with the hook's analysis.
		root(audit(2*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "b1", Tool: "Bash", Command: "cat README.md && grep -rn deprecated internal",
			Reads: []string{"/home/dev/app/README.md", "/home/dev/app/internal"}, Decision: "allow"})),
		root(audit(3*s, record.AuditEventV1{HookEvent: "PostToolUse", ToolUseID: "b1", Tool: "Bash"})),
		root(audit(4*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "b2", Tool: "Bash", Command: "sed -i s/a/b/ main.go && echo ok > notes.txt",
			Reads: []string{"/home/dev/app/main.go"}, Writes: []string{"/home/dev/app/main.go", "/home/dev/app/notes.txt"}, Decision: "allow"})),
		root(audit(5*s, record.AuditEventV1{HookEvent: "PostToolUse", ToolUseID: "b2", Tool: "Bash"})),
		// Denied and refused: its paths are not files touched.
		root(audit(6*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "b3", Tool: "Bash", Command: "cat .env",
			Reads: []string{"/home/dev/app/.env"}, Decision: "deny", RuleID: "paths.secrets"})),
		// An older hook that recorded no analysis: the server analyses
		// the audited command.
		root(audit(7*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "b4", Tool: "Bash", Command: "head -5 docs/guide.md", Decision: "allow"})),
		// A test run the hook saw pass.
		root(audit(8*s, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "b5", Tool: "Bash", Command: "go test ./...", Tests: true, Decision: "allow"})),
		root(audit(9*s, record.AuditEventV1{HookEvent: "PostToolUse", ToolUseID: "b5", Tool: "Bash"})),
		// Known from telemetry alone (no hook ran for these calls).
		otlpEvent("t1", 10*s, "tool_decision", "Bash", map[string]any{"tool_use_id": "t1", "decision": "accept", "source": "config", "full_command": "cat go.mod a.go | frob > /tmp/x.log"}),
		otlpEvent("t1r", 11*s, "tool_result", "Bash", map[string]any{"tool_use_id": "t1", "success": "true", "full_command": "cat go.mod a.go | frob > /tmp/x.log"}),
		otlpEvent("t2", 12*s, "tool_result", "Bash", map[string]any{"tool_use_id": "t2", "success": "false",
			"error": "Exit code 2\nFAIL src/a.test.js", "full_command": "cd app && npx jest"}),
		otlpEvent("t3", 13*s, "tool_decision", "Bash", map[string]any{"tool_use_id": "t3", "decision": "accept", "source": "config", "full_command": "pytest -q"}),
		otlpEvent("t4", 14*s, "tool_result", "Bash", map[string]any{"tool_use_id": "t4", "success": "true", "full_command": "cp main.go b.go"}),
		// A test Claude Code refused: no test run.
		otlpEvent("t5", 15*s, "tool_decision", "Bash", map[string]any{"tool_use_id": "t5", "decision": "reject", "source": "config", "full_command": "cargo test"}),
	}
}

// TestBuildRunRecord builds run records from the real captures, alone and
// joined with hook audit events of the same session, and checks what each
// must show; the whole record is pinned by a JSON golden and its Markdown
// by a Markdown golden (regenerate with -update).
func TestBuildRunRecord(t *testing.T) {
	type check func(t *testing.T, rr record.RunRecord)
	for _, tc := range []struct {
		name    string
		summary func(t *testing.T) record.SessionSummary
		events  func(t *testing.T) []record.Event
		checks  []check
	}{
		{
			name: "telemetry-default",
			summary: func(t *testing.T) record.SessionSummary {
				return record.SessionSummary{SessionID: "1d566173", Rollup: rollup(t, "metrics-http-json.json")}
			},
			events: func(t *testing.T) []record.Event { return decodeLogs(t, "logs-http-json.json", false) },
			checks: []check{
				wantTools(record.ToolUse{Name: "Bash", Calls: 1, Refused: 1}, record.ToolUse{Name: "Read", Calls: 1},
					record.ToolUse{Name: "mcp_tool", Calls: 1, Refused: 1}),
				wantDenials("claude-code Bash", "claude-code mcp_tool"),
				wantApprovals("claude-code mcp_tool refused config"),
				func(t *testing.T, rr record.RunRecord) {
					if rr.Cost.APIRequests != 3 || rr.Cost.EventsUSD < 0.00041 || rr.Cost.EventsUSD > 0.00043 {
						t.Errorf("cost %+v: want 3 API requests worth $0.00042 in events", rr.Cost)
					}
					if rr.Cost.USD != rr.Cost.MetricsUSD || rr.Cost.MetricsUSD < 0.00055 || rr.Cost.Tokens.Input != 40 || rr.Cost.LinesAdded != 6 || rr.Cost.Commits != 1 {
						t.Errorf("cost %+v: want the metric totals", rr.Cost)
					}
					if rr.Agent.ClientVersion != "2.1.330" || !slices.Equal(rr.Agent.Models, []string{"claude-opus-5-5"}) {
						t.Errorf("agent %+v", rr.Agent)
					}
					if !slices.Equal(rr.PermissionModes, []string{"acceptEdits"}) {
						t.Errorf("permission modes %v", rr.PermissionModes)
					}
					if len(rr.FilesInspected) != 0 || len(rr.Commands) != 0 {
						t.Errorf("files %v, commands %v: without tool details or hook audit there are none", rr.FilesInspected, rr.Commands)
					}
				},
				wantGaps("no Warden hook audit", "no prompt recorded"),
			},
		},
		{
			name:    "telemetry-tool-details",
			summary: func(t *testing.T) record.SessionSummary { return record.SessionSummary{SessionID: detailsSession} },
			events: func(t *testing.T) []record.Event {
				return decodeLogs(t, "logs-http-json-tool-details-user-prompts.json", true)
			},
			checks: []check{
				func(t *testing.T, rr record.RunRecord) {
					if rr.Task.Prompt != "please check telemetry" || rr.Task.PromptLength != 22 || rr.Task.Prompts != 1 {
						t.Errorf("task %+v", rr.Task)
					}
					if !rr.Evidence.PromptLogging || !rr.Evidence.ToolDetails {
						t.Errorf("evidence %+v", rr.Evidence)
					}
					if len(rr.MCPServers) != 1 || rr.MCPServers[0].Name != "notes" || !rr.MCPServers[0].Connected {
						t.Errorf("MCP servers %+v", rr.MCPServers)
					}
				},
				wantCommands("echo forbidden-thing refused", "echo telemetry-ok succeeded"),
				wantDenials("hook Bash"),
				wantGaps("no Warden hook audit"),
			},
		},
		{
			name: "joined",
			summary: func(t *testing.T) record.SessionSummary {
				return record.SessionSummary{SessionID: detailsSession, Quarantined: true,
					Counts: record.SessionCounts{Events: 99, HookEvents: 17, Denials: 3}}
			},
			events: func(t *testing.T) []record.Event {
				return append(decodeLogs(t, "logs-http-json-tool-details-user-prompts.json", false), hookEvents()...)
			},
			checks: []check{
				func(t *testing.T, rr record.RunRecord) {
					if rr.Task.Prompt != "" || rr.Task.PromptLength != 22 || rr.Task.Prompts != 1 {
						t.Errorf("task %+v: prompts join by prompt id, text dropped without content", rr.Task)
					}
					if rr.User.Account != "dev" || len(rr.User.ID) != 64 {
						t.Errorf("user %+v", rr.User)
					}
					if rr.Workspace != (record.Workspace{Host: "devbox", Repository: "git@github.com:acme/app.git", Branch: "main", Cwd: "/home/dev/app"}) {
						t.Errorf("workspace %+v", rr.Workspace)
					}
					if want := []record.PolicyRef{{Name: "baseline", Version: "2026.11", Tier: "standard"}}; !slices.Equal(rr.Policies, want) {
						t.Errorf("policies %+v", rr.Policies)
					}
					if !slices.Equal(rr.FilesInspected, []string{"/home/dev/app/README.md"}) {
						t.Errorf("files inspected %v: the denied .env read is not one", rr.FilesInspected)
					}
					if !slices.Equal(rr.FilesChanged, []string{"/home/dev/app/main.go"}) {
						t.Errorf("files changed %v: MultiEdit was only observed, and refused", rr.FilesChanged)
					}
					if len(rr.Failures) != 1 || rr.Failures[0].Failure != record.FailureInputInvalid {
						t.Errorf("failures %+v", rr.Failures)
					}
					if !rr.Quarantined || rr.Counts.Events != 99 {
						t.Errorf("summary fields not carried: quarantined %v counts %+v", rr.Quarantined, rr.Counts)
					}
					if len(rr.MCPServers) != 1 || rr.MCPServers[0].Calls != 1 || !slices.Equal(rr.MCPServers[0].Tools, []string{"write_note"}) {
						t.Errorf("MCP servers %+v", rr.MCPServers)
					}
				},
				wantCommands("echo forbidden-thing refused", "echo telemetry-ok succeeded", "cd app && go test ./... failed"),
				wantDenials("warden Bash conditions.forbidden", "warden Read paths.secrets", "warden MultiEdit unknown_tool observed"),
				wantApprovals("warden Bash granted", "warden mcp__notes__write_note unknown"),
				wantTests("cd app && go test ./... failed"),
				wantGaps("1 tool call(s) were seen only after the fact", "1 test run(s) failed",
					"1 hook call(s) where Warden could not decide", "1 approval request(s) without a recorded answer"),
			},
		},
		{
			// Issue 12: a forged audit post contradicts the recorded
			// deny, claims another user and a backdated start, and
			// telemetry says the denied call ran.
			name:    "forged",
			summary: func(t *testing.T) record.SessionSummary { return record.SessionSummary{SessionID: detailsSession} },
			events:  func(t *testing.T) []record.Event { return forgedEvents() },
			checks: []check{
				// The deny did not hold: telemetry says the call ran
				// and succeeded, so it is shown as ran, with the
				// conflict, and still listed as Warden's denial.
				wantCommands("git push --force succeeded"),
				wantDenials("warden Bash git.force-push"),
				func(t *testing.T, rr record.RunRecord) {
					if !rr.Denials[0].Ran {
						t.Errorf("denial %+v: not marked as ran", rr.Denials[0])
					}
					if rr.Tools[0].Refused != 0 {
						t.Errorf("tools %+v: a call that ran counted as refused", rr.Tools)
					}
				},
				func(t *testing.T, rr record.RunRecord) {
					if !rr.Start.Equal(detailsT0.Add(time.Second)) || rr.User.Account != "dev" {
						t.Errorf("start %v account %q: the late SessionStart moved them", rr.Start, rr.User.Account)
					}
					var got []string
					for _, c := range rr.Conflicts {
						got = append(got, c.Kind+" "+c.Field+" "+c.First.EventID+" "+c.Second.EventID)
					}
					want := []string{
						"contradiction command deny forged-allow",
						"contradiction decision deny forged-allow",
						"contradiction user deny forged-allow",
						"denied-but-ran outcome deny otlp-result",
						"late-session-start start start forged-start",
						"late-session-start user start forged-start",
					}
					slices.Sort(got)
					if !slices.Equal(got, want) {
						t.Errorf("conflicts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
					if c := rr.Commands; len(c) != 1 || !slices.Equal(c[0].Conflicts, []string{"contradiction:decision", "contradiction:command", "contradiction:user", "denied-but-ran:outcome"}) {
						t.Errorf("commands %+v: the call is not marked", c)
					}
				},
				wantGaps("no prompt recorded", "6 conflict(s) in the evidence"),
			},
		},
		{
			// Issue 12 §5: Bash reads, searches and writes are files
			// inspected and changed, by the engine's analysis (the
			// hook's, else the server's of a telemetry-only command);
			// tests have outcomes; the notes say what rests on what.
			name:    "bash-evidence",
			summary: func(t *testing.T) record.SessionSummary { return record.SessionSummary{SessionID: detailsSession} },
			events:  func(t *testing.T) []record.Event { return bashEvents() },
			checks: []check{
				func(t *testing.T, rr record.RunRecord) {
					if want := []string{"README.md", "internal", "main.go", "docs/guide.md", "go.mod", "a.go"}; !slices.Equal(rr.FilesInspected, want) {
						t.Errorf("files inspected %q, want %q", rr.FilesInspected, want)
					}
					if want := []string{"main.go", "notes.txt", "/tmp/x.log", "b.go"}; !slices.Equal(rr.FilesChanged, want) {
						t.Errorf("files changed %q, want %q", rr.FilesChanged, want)
					}
				},
				wantTests("go test ./... passed", "cd app && npx jest failed", "pytest -q unknown"),
				func(t *testing.T, rr record.RunRecord) {
					if e := rr.Tests[1].ExitCode; e == nil || *e != 2 || rr.Tests[1].Evidence != "tool_result" {
						t.Errorf("test %+v: want exit code 2 from tool_result", rr.Tests[1])
					}
					var got []string
					for _, n := range rr.FieldNotes {
						got = append(got, n.Field+" "+n.Status)
					}
					for _, want := range []string{"files_inspected unverified", "files_changed unverified", "files_inspected partial",
						"commands unverified", "tests partial", "tests unverified", "denials partial"} {
						if !slices.Contains(got, want) {
							t.Errorf("field notes %q lack %q", got, want)
						}
					}
				},
			},
		},
		{
			name:    "empty",
			summary: func(t *testing.T) record.SessionSummary { return record.SessionSummary{SessionID: "s-empty"} },
			events:  func(t *testing.T) []record.Event { return nil },
			checks: []check{
				wantGaps("no telemetry", "no Warden hook audit", "no prompt recorded"),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := stored(t, tc.events(t))
			rr := record.BuildRunRecordWith(tc.summary(t), events, analysed)
			if rr.Schema != record.SchemaRunRecordV1 {
				t.Errorf("schema %q", rr.Schema)
			}
			for _, c := range tc.checks {
				c(t, rr)
			}
			again := record.BuildRunRecordWith(tc.summary(t), events, analysed)
			got, err := json.MarshalIndent(rr, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := json.MarshalIndent(again, "", "  "); !bytes.Equal(got, b) {
				t.Error("BuildRunRecord is not deterministic")
			}
			// Lists are [] rather than null, so clients can range over them.
			if bytes.Contains(got, []byte(": null")) {
				t.Errorf("record has null lists:\n%s", got)
			}
			golden.Compare(t, filepath.Join("testdata", "runrecord", tc.name+".golden.json"), append(got, '\n'))
			golden.Compare(t, filepath.Join("testdata", "runrecord", tc.name+".golden.md"), []byte(rr.Markdown()))
		})
	}
}

func wantTools(want ...record.ToolUse) func(*testing.T, record.RunRecord) {
	return func(t *testing.T, rr record.RunRecord) {
		if !slices.Equal(rr.Tools, want) {
			t.Errorf("tools %+v, want %+v", rr.Tools, want)
		}
	}
}

func wantDenials(want ...string) func(*testing.T, record.RunRecord) {
	return func(t *testing.T, rr record.RunRecord) {
		var got []string
		for _, d := range rr.Denials {
			s := d.By + " " + d.Tool
			if d.RuleID != "" {
				s += " " + d.RuleID
			}
			if d.ObservedOnly {
				s += " observed"
			}
			got = append(got, s)
		}
		if !slices.Equal(got, want) {
			t.Errorf("denials %q, want %q", got, want)
		}
	}
}

func wantApprovals(want ...string) func(*testing.T, record.RunRecord) {
	return func(t *testing.T, rr record.RunRecord) {
		var got []string
		for _, a := range rr.Approvals {
			s := a.RequestedBy + " " + a.Tool + " " + a.Outcome
			if a.Answer != "" {
				s += " " + a.Answer
			}
			got = append(got, s)
		}
		if !slices.Equal(got, want) {
			t.Errorf("approvals %q, want %q", got, want)
		}
	}
}

func wantCommands(want ...string) func(*testing.T, record.RunRecord) {
	return func(t *testing.T, rr record.RunRecord) {
		var got []string
		for _, c := range rr.Commands {
			got = append(got, c.Command+" "+c.Outcome)
		}
		if !slices.Equal(got, want) {
			t.Errorf("commands %q, want %q", got, want)
		}
	}
}

func wantTests(want ...string) func(*testing.T, record.RunRecord) {
	return func(t *testing.T, rr record.RunRecord) {
		var got []string
		for _, c := range rr.Tests {
			got = append(got, c.Command+" "+c.Outcome)
		}
		if !slices.Equal(got, want) {
			t.Errorf("tests %q, want %q", got, want)
		}
	}
}

// wantGaps requires a gap starting with each prefix.
func wantGaps(prefixes ...string) func(*testing.T, record.RunRecord) {
	return func(t *testing.T, rr record.RunRecord) {
		for _, p := range prefixes {
			if !slices.ContainsFunc(rr.Gaps, func(g string) bool { return strings.HasPrefix(g, p) }) {
				t.Errorf("gaps %q: none starts with %q", rr.Gaps, p)
			}
		}
	}
}

// TestRunRecord_MarkdownEscapes: text from events (commands, prompts,
// reasons) is shown verbatim, never interpreted as Markdown or HTML.
func TestRunRecord_MarkdownEscapes(t *testing.T) {
	rr := record.BuildRunRecord(record.SessionSummary{SessionID: "s|1"}, []record.Event{
		{ID: "p", Source: record.SourceOTLP, Kind: "user_prompt", Time: time.Unix(1, 0), SessionID: "s|1",
			Attrs: map[string]any{"prompt": "# Title\n<script>alert(1)</script> [x](http://e)"}},
		audit(time.Second, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: "t1", Tool: "Bash",
			Command: "echo `id` | tee x\nrm -rf ``", Decision: "deny", Reason: "**bold** | <b>"}),
	})
	md := rr.Markdown()
	for _, bad := range []string{"\n# Title", "<script>", "[x](http", "**bold**", "<b>"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown contains unescaped %q:\n%s", bad, md)
		}
	}
	for _, want := range []string{"> \\# Title", "``` echo `id` \\| tee x ⏎ rm -rf `` ```", "\\*\\*bold\\*\\* \\| \\<b\\>"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestRunRecord_HostileNumbers: api_request events claiming 1e308 dollars
// and tokens, twice, and a rollup of saturated sums leave a run record
// that encodes as JSON.
func TestRunRecord_HostileNumbers(t *testing.T) {
	var events []record.Event
	for i, cost := range []any{1e308, "1e308", "NaN", "-Inf"} {
		events = append(events, record.Event{ID: "r" + string(rune('0'+i)), Source: record.SourceOTLP, Kind: "api_request",
			Time: time.Unix(int64(i+1), 0), SessionID: "s1",
			Attrs: map[string]any{"cost_usd": cost, "input_tokens": cost, "model": "m"}})
	}
	sum := record.SessionSummary{SessionID: "s1"}
	sum.Rollup.Add(record.RollupCostUSD, 1e308)
	sum.Rollup.Add(record.RollupCostUSD, 1e308)
	rr := record.BuildRunRecord(sum, stored(t, events))
	if _, err := json.Marshal(rr); err != nil {
		t.Fatalf("run record does not encode: %v\ncost %+v", err, rr.Cost)
	}
}

// TestBuildRunRecord_Unanalysed: without an analyser, Bash commands the
// hook did not analyse count no files and no tests, and the record says
// so instead of showing an empty list as complete.
func TestBuildRunRecord_Unanalysed(t *testing.T) {
	rr := record.BuildRunRecord(record.SessionSummary{SessionID: detailsSession}, stored(t, bashEvents()))
	if slices.Contains(rr.FilesInspected, "go.mod") {
		t.Errorf("files inspected %q: a telemetry command was analysed without an analyser", rr.FilesInspected)
	}
	var got []string
	for _, n := range rr.FieldNotes {
		got = append(got, n.Field+" "+n.Status+" "+n.Why)
	}
	for _, want := range []string{"files_inspected missing 6 Bash command(s) not analysed", "tests missing 6 Bash command(s) not analysed"} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, want) }) {
			t.Errorf("field notes %q lack %q", got, want)
		}
	}
}

// TestBuildRunRecord_AnalysedPathsRedacted: paths the server analyses out
// of a telemetry command are redacted and bounded like the hook's.
func TestBuildRunRecord_AnalysedPathsRedacted(t *testing.T) {
	const tok = "ghp_0123456789abcdefghij0123456789abcdef"
	cmd := "cat /tmp/" + tok + strings.Repeat(" f.txt x", 100)
	for i := range 100 {
		cmd += " g" + strings.Repeat("y", i) + ".txt"
	}
	rr := record.BuildRunRecordWith(record.SessionSummary{SessionID: "s1"}, []record.Event{{ID: "r", Source: record.SourceOTLP,
		Kind: "tool_result", Time: time.Unix(1, 0), SessionID: "s1", Tool: "Bash",
		Attrs: map[string]any{"tool_use_id": "t1", "success": "true", "full_command": cmd}}}, analysed)
	if len(rr.Commands) != 1 || len(rr.Commands[0].Reads) != record.MaxTouchedPaths {
		t.Fatalf("commands %+v: want %d reads", rr.Commands, record.MaxTouchedPaths)
	}
	for _, p := range rr.FilesInspected {
		if strings.Contains(p, tok) {
			t.Errorf("secret kept in %q", p)
		}
	}
}

// TestBuildRunRecord_DeniedButRan: a call Warden denied that telemetry
// says ran is shown as ran (with its result when there is one), its
// denial marked ran, its command and denial marked with the conflict,
// and its Bash paths counted as touched; a deny that held stays refused.
func TestBuildRunRecord_DeniedButRan(t *testing.T) {
	s := time.Second
	deny := func(id string, at time.Duration) record.Event {
		return audit(at, record.AuditEventV1{HookEvent: "PreToolUse", ToolUseID: id, Tool: "Bash", Command: "cat secrets.txt",
			Reads: []string{"/home/dev/app/secrets.txt"}, Decision: "deny", RuleID: "paths.secrets"})
	}
	telemetry := func(id, kind string, at time.Duration, attrs map[string]any) record.Event {
		attrs["tool_use_id"] = id
		d, _ := attrs["decision"].(string)
		return record.Event{ID: id + kind, Source: record.SourceOTLP, Kind: kind, Time: detailsT0.Add(at), SessionID: detailsSession,
			Tool: "Bash", Decision: d, Attrs: attrs}
	}
	for _, tc := range []struct {
		name    string
		events  []record.Event
		outcome string
		ran     bool
	}{
		{"Held", []record.Event{deny("a", s), telemetry("a", "tool_decision", 2*s, map[string]any{"decision": "reject", "source": "hook"})},
			record.OutcomeRefused, false},
		{"AcceptedOnly", []record.Event{deny("a", s), telemetry("a", "tool_decision", 2*s, map[string]any{"decision": "accept", "source": "config"})},
			record.OutcomeRan, true},
		{"Failed", []record.Event{deny("a", s), telemetry("a", "tool_result", 2*s, map[string]any{"success": "false"})},
			record.OutcomeFailed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := record.BuildRunRecordWith(record.SessionSummary{SessionID: detailsSession}, stored(t, tc.events), analysed)
			if len(rr.Commands) != 1 || rr.Commands[0].Outcome != tc.outcome {
				t.Fatalf("commands %+v, want outcome %s", rr.Commands, tc.outcome)
			}
			if len(rr.Denials) != 1 || rr.Denials[0].Ran != tc.ran {
				t.Errorf("denials %+v, want ran %v", rr.Denials, tc.ran)
			}
			marked := slices.Contains(rr.Commands[0].Conflicts, "denied-but-ran:outcome")
			if marked != tc.ran {
				t.Errorf("command conflicts %q, want denied-but-ran %v", rr.Commands[0].Conflicts, tc.ran)
			}
			if touched := slices.Contains(rr.FilesInspected, "/home/dev/app/secrets.txt"); touched != tc.ran {
				t.Errorf("files inspected %q: want the read counted only when the call ran", rr.FilesInspected)
			}
		})
	}
}

// TestRunRecord_VerifiedEvidence: a forged unverified decision that
// arrived before the hook's signed one does not stand over it; the record
// counts its decisions by verification, marks the conflict, and says so
// in JSON and Markdown.
func TestRunRecord_VerifiedEvidence(t *testing.T) {
	s := time.Second
	forged := audit(2*s, record.AuditEventV1{HookEvent: "PreToolUse", EventID: "forged-allow", ToolUseID: "toolu_push", Tool: "Bash",
		Command: "git push --force", Decision: "allow"})
	forged.Verification = &record.Verification{Reason: record.UnverifiedUnsigned}
	signed := audit(3*s, record.AuditEventV1{HookEvent: "PreToolUse", EventID: "deny", ToolUseID: "toolu_push", Tool: "Bash",
		Command: "git push --force", Decision: "deny", RuleID: "git.force-push"})
	signed.Verification = &record.Verification{Verified: true, DeviceID: "dev_01", Seq: 2}
	legacy := audit(4*s, record.AuditEventV1{HookEvent: "PreToolUse", EventID: "legacy", ToolUseID: "toolu_ls", Tool: "Bash",
		Command: "ls", Decision: "allow"})
	gap := audit(5*s, record.AuditEventV1{HookEvent: "PreToolUse", EventID: "gap", ToolUseID: "toolu_cat", Tool: "Bash",
		Command: "cat README", Decision: "allow"})
	gap.Verification = &record.Verification{Reason: record.UnverifiedChainGap, DeviceID: "dev_01", Seq: 9}
	events := []record.Event{forged, signed, legacy, gap}
	for i := range events {
		events[i].Arrival = int64(i + 1) // the forgery arrived first
	}
	rr := record.BuildRunRecord(record.SessionSummary{SessionID: detailsSession}, stored(t, events))

	if len(rr.Commands) != 3 {
		t.Fatalf("commands %+v", rr.Commands)
	}
	if c := rr.Commands[0]; c.Decision != record.DecisionDeny || !c.DecisionVerified || len(c.Conflicts) == 0 {
		t.Errorf("push: %+v, want the verified deny, marked with the conflict", c)
	}
	if rr.Commands[1].DecisionVerified || rr.Commands[2].DecisionVerified {
		t.Errorf("unverified decisions shown verified: %+v", rr.Commands[1:])
	}
	want := record.DecisionEvidence{Verified: 1, Unverified: 3,
		Reasons: map[string]int{record.UnverifiedUnsigned: 1, record.UnverifiedChainGap: 1, record.NotChecked: 1}}
	got := rr.Evidence.Decisions
	if got.Verified != want.Verified || got.Unverified != want.Unverified || len(got.Reasons) != len(want.Reasons) {
		t.Fatalf("decisions evidence %+v, want %+v", got, want)
	}
	for k, v := range want.Reasons {
		if got.Reasons[k] != v {
			t.Errorf("reason %s: %d, want %d", k, got.Reasons[k], v)
		}
	}
	md := rr.Markdown()
	if !strings.Contains(md, "Warden decisions verified: 1 of 4") || !strings.Contains(md, "chain\\_gap 1") {
		t.Errorf("Markdown does not say which decisions are verified:\n%s", md)
	}
	found := false
	for _, g := range rr.Gaps {
		found = found || strings.HasPrefix(g, "3 of 4 Warden decision event(s) unverified")
	}
	if !found {
		t.Errorf("gaps %q do not name the unverified decisions", rr.Gaps)
	}
}
