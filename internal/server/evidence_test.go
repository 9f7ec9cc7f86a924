package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// TestForgedAuditCannotRewriteRecord reproduces issue 12's finding through
// the API: an ingest token (which sits in the recorded agent's
// environment) posts audit events that contradict what was recorded. The
// recorded decision, start and user stand; the forged events are kept
// beside them and the record marks the conflicts, naming both events.
func TestForgedAuditCannotRewriteRecord(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, withStore(b.open(t)))
		ingest, read := ts.tokens[record.ScopeIngest], ts.tokens[record.ScopeRead]
		const session = "forged-session"
		post := func(evs ...record.AuditEventV1) {
			t.Helper()
			var body []byte
			for _, ev := range evs {
				body = append(body, auditLine(t, ev)...)
			}
			if r := ts.do("POST", "/v1/audit", ingest, body, "Content-Type", ContentTypeNDJSON); r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
		}
		// Within one post, events arrive in event_id order (the hook's IDs
		// start with their time), so these IDs sort as they were sent.
		ev := func(id, hook string, at time.Time, user string) record.AuditEventV1 {
			e := newAudit(id, session, at)
			e.HookEvent, e.User, e.Tool, e.Command, e.Decision = hook, user, "", "", record.DecisionNone
			return e
		}

		start := ev("1-start", "SessionStart", t0, "alice")
		deny := ev("2-deny", "PreToolUse", t0.Add(time.Second), "alice")
		deny.ToolUseID, deny.Tool, deny.Command = "toolu_push", "Bash", "git push --force"
		deny.Decision, deny.RuleID, deny.Reason = record.DecisionDeny, "git.force-push", "rewrites shared history"
		post(start, deny)

		// The forgery: the same call now allowed (and said to have run), a
		// backdated SessionStart naming another user.
		allow := ev("3-forged-allow", "PreToolUse", t0.Add(2*time.Second), "alice")
		allow.ToolUseID, allow.Tool, allow.Command, allow.Decision = "toolu_push", "Bash", "git push --force", record.DecisionAllow
		ran := ev("4-forged-ran", "PostToolUse", t0.Add(3*time.Second), "alice")
		ran.ToolUseID, ran.Tool, ran.Command = "toolu_push", "Bash", "git push --force"
		backdated := ev("5-forged-start", "SessionStart", t0.Add(-time.Hour), "mallory")
		post(allow, ran, backdated)

		if n := len(ts.sessionEvents(session)); n != 5 {
			t.Errorf("%d events stored, want 5: contradicting events are kept, not dropped", n)
		}

		r := ts.do("GET", "/api/v1/sessions/"+session+"/record", read, nil)
		if r.status != http.StatusOK {
			t.Fatalf("record: %d %s", r.status, r.body)
		}
		var rr record.RunRecord
		r.json(t, &rr)
		// The recorded deny stands as Warden's decision; a later event
		// saying the call ran shows it as ran (issue 12 §5), marked with
		// the denied-but-ran conflict below, never as allowed.
		if len(rr.Commands) != 1 || rr.Commands[0].Decision != record.DecisionDeny || rr.Commands[0].Outcome != record.OutcomeSucceeded {
			t.Errorf("commands %+v: the recorded deny must stand, and the call show as ran", rr.Commands)
		}
		if len(rr.Denials) != 1 || rr.Denials[0].RuleID != "git.force-push" || !rr.Denials[0].Ran {
			t.Errorf("denials %+v: want Warden's denial, marked ran", rr.Denials)
		}
		if !rr.Start.Equal(t0) || rr.User.Account != "alice" {
			t.Errorf("start %v user %q: a late SessionStart moved them (want %v, alice)", rr.Start, rr.User.Account, t0)
		}
		want := map[string][2]string{
			record.ConflictContradiction + " decision": {"2-deny", "3-forged-allow"},
			record.ConflictDeniedButRan + " outcome":   {"2-deny", "4-forged-ran"},
			record.ConflictLateSessionStart + " start": {"1-start", "5-forged-start"},
			record.ConflictLateSessionStart + " user":  {"1-start", "5-forged-start"},
		}
		got := map[string][2]string{}
		for _, c := range rr.Conflicts {
			got[c.Kind+" "+c.Field] = [2]string{c.First.EventID, c.Second.EventID}
		}
		for k, w := range want {
			if got[k] != w {
				j, _ := json.MarshalIndent(rr.Conflicts, "", "  ")
				t.Errorf("conflict %s: got events %v, want %v; conflicts:\n%s", k, got[k], w, j)
			}
		}
		if len(rr.Commands) == 1 && len(rr.Commands[0].Conflicts) == 0 {
			t.Errorf("command %+v: the call is not marked with its conflicts", rr.Commands[0])
		}

		var sum record.SessionSummary
		r = ts.do("GET", "/api/v1/sessions/"+session, read, nil)
		r.json(t, &sum)
		if !sum.FirstTime.Equal(t0) || sum.UserID != "alice" {
			t.Errorf("summary first time %v user %q: want %v, alice", sum.FirstTime, sum.UserID, t0)
		}

		r = ts.do("GET", "/api/v1/sessions/"+session+"/record?format=md", read, nil)
		md := string(r.body)
		if !strings.Contains(md, "## Conflicts in the evidence") || !strings.Contains(md, "3-forged-allow") {
			t.Errorf("markdown does not show the conflicts:\n%s", md)
		}
	})
}

// TestDeniedButRanTelemetry cross-checks the two streams: Warden denied a
// call, and Claude Code's own telemetry says it ran.
func TestDeniedButRanTelemetry(t *testing.T) {
	ts := startServer(t)
	ingest, read := ts.tokens[record.ScopeIngest], ts.tokens[record.ScopeRead]
	const session = "cross-check"
	deny := newAudit("2-deny", session, t0)
	deny.ToolUseID, deny.Command, deny.Decision, deny.RuleID = "toolu_rm", "rm -rf /", record.DecisionDeny, "fs.rm-root"
	if r := ts.do("POST", "/v1/audit", ingest, auditLine(t, deny), "Content-Type", ContentTypeNDJSON); r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	logs := fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
		"scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events"},"logRecords":[{"timeUnixNano":"%d",
		"body":{"stringValue":"claude_code.tool_result"},"attributes":[
		{"key":"session.id","value":{"stringValue":%q}},
		{"key":"event.name","value":{"stringValue":"tool_result"}},
		{"key":"event.sequence","value":{"intValue":1}},
		{"key":"tool_name","value":{"stringValue":"Bash"}},
		{"key":"tool_use_id","value":{"stringValue":"toolu_rm"}},
		{"key":"success","value":{"stringValue":"true"}}]}]}]}]}`, t0.Add(time.Second).UnixNano(), session)
	if r := ts.do("POST", "/v1/logs", ingest, []byte(logs), "Content-Type", "application/json"); r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r := ts.do("GET", "/api/v1/sessions/"+session+"/record", read, nil)
	var rr record.RunRecord
	r.json(t, &rr)
	if len(rr.Conflicts) != 1 || rr.Conflicts[0].Kind != record.ConflictDeniedButRan || rr.Conflicts[0].First.EventID != "2-deny" ||
		rr.Conflicts[0].Second.Source != record.SourceOTLP || rr.Conflicts[0].ToolUseID != "toolu_rm" {
		t.Errorf("conflicts %+v: want one denied-but-ran naming the audit deny and the telemetry result", rr.Conflicts)
	}
}
