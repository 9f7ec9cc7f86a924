//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/wardenhq/warden/internal/shiplaunch"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/fakemodel"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/ship"
)

// TestRunRecord_EndToEnd runs a scripted session of the real client with
// its telemetry sent to a `warden serve` the test started and `warden hook`
// pointed at the same server: the hook answers locally and its detached
// shipper delivers the audit spool. The server's run record must then
// list the session's commands with their outcomes, the file it read and
// the file it edited, both denials with their rules, and every audit event
// of the spool exactly once; `warden record` prints the same record, and
// `warden record --transcript` builds one of the same shape offline from
// the session file the client wrote.
func TestRunRecord_EndToEnd(t *testing.T) {
	ctx := context.Background()
	sh := startShipping(t, "e2e")
	warden, hookExe, srv, reader, clientConfig := sh.warden, sh.hook, sh.srv, sh.reader, sh.clientConfig
	// The hook's settings also give Claude Code its telemetry token through
	// otelHeadersHelper (warden-hook otel-headers), which reads the same
	// warden-client.json.
	hs := HookSettings(Command(hookExe), 30)
	hs.OtelHeadersHelper = Command(hookExe) + " otel-headers"
	settings, err := h.WriteSettings("runrecord.json", hs)
	if err != nil {
		t.Fatal(err)
	}

	// The machine is enrolled (warden enroll, as the developer, with a
	// one-time token from a file): the hook signs and chains its audit,
	// the shipper sends the device credential, and the run record's
	// Warden decisions are verified.
	enrollTok, err := srv.CreateToken(ctx, "e2e-enroll", "enroll")
	if err != nil {
		t.Fatal(err)
	}
	tokFile := filepath.Join(h.Scratch.Home, ".e2e-enroll.token")
	if err := h.Scratch.WriteUserFile(tokFile, []byte(enrollTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Dir(clientConfig)
	t.Cleanup(func() {
		for _, f := range []string{"device.key", "device.json", "device.chain"} {
			os.Remove(filepath.Join(stateDir, f))
		}
	})
	if err := h.Scratch.runAsUser(ctx, h.Scratch.Home, warden, "enroll", "--server", srv.URL, "--token-file", tokFile, "--name", "e2e"); err != nil {
		t.Fatal(err)
	}
	os.Remove(tokFile)

	notes := filepath.Join(h.Scratch.Project, "runrecord", "notes.md")
	if err := h.Scratch.WriteUserFile(notes, []byte("# Notes\n\nThe run record test edits this line.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustRunSession(t, SessionOptions{
		Name:     "runrecord",
		Settings: settings,
		Prompt:   "Check the project and tidy the notes.",
		Env: append([]string{
			"CLAUDE_CODE_ENABLE_TELEMETRY=1",
			"OTEL_LOGS_EXPORTER=otlp",
			"OTEL_METRICS_EXPORTER=otlp",
			"OTEL_EXPORTER_OTLP_PROTOCOL=http/json",
			"OTEL_EXPORTER_OTLP_ENDPOINT=" + srv.URL,
			"OTEL_LOGS_EXPORT_INTERVAL=500",
			"OTEL_METRIC_EXPORT_INTERVAL=1000",
		}, sessionEnv...),
		Steps: []fakemodel.Step{
			fakemodel.Bash("ls"),
			fakemodel.Bash("git status --short"),
			fakemodel.Read(notes),
			fakemodel.ToolUse("Edit", map[string]any{"file_path": notes, "old_string": "edits this line", "new_string": "edited this line"}),
			fakemodel.Bash("cat .env"),
			fakemodel.Bash("curl -s " + h.Exfil.URL("/runrecord")),
			fakemodel.Bash("ls /nonexistent-runrecord-dir"),
			fakemodel.Bash("echo done"),
		},
	})
	if s.Transcript.Init == nil || s.Transcript.Init.SessionID == "" {
		t.Fatal("no session id in the client's output")
	}
	sid := s.Transcript.Init.SessionID
	if got, _ := os.ReadFile(notes); !strings.Contains(string(got), "edited this line") {
		t.Errorf("the Edit did not run: %q", got)
	}
	if len(s.Exfil) > 0 {
		t.Errorf("the denied curl reached the listener: %+v", s.Exfil)
	}
	if leaks := s.Leaks(h.Scratch); len(leaks) > 0 {
		t.Errorf("canaries reached the model or the output: %+v", leaks)
	}

	// The spool: one line per hook call, all of this session.
	spool, err := s.Spool()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range spool {
		if ev.Device == "" {
			t.Errorf("spool event %s is not signed, though the machine is enrolled", ev.Raw)
		}
		var a record.AuditEventV1
		if err := json.Unmarshal(ev.Raw, &a); err != nil {
			t.Fatal(err)
		}
		if a.SessionID != sid {
			t.Errorf("spool event %s of session %q", a.EventID, a.SessionID)
		}
		ids = append(ids, a.EventID)
	}

	// Wait, bounded, until the shipper delivered every spooled event and
	// the client's telemetry arrived.
	var sum record.SessionSummary
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, body, err := srv.Get(ctx, reader, "/api/v1/sessions/"+sid)
		if err == nil && code == 200 {
			if err := json.Unmarshal(body, &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Counts.HookEvents >= int64(len(ids)) && sum.Counts.ToolDecisions >= 8 {
				break
			}
		}
		if time.Now().After(deadline) {
			st, _ := exec.Command(warden, "spool", "status", "--spool", s.SpoolPath).CombinedOutput()
			t.Fatalf("after 90 s the server has %d hook events (spool: %d) and %d tool decisions\nspool status:\n%s",
				sum.Counts.HookEvents, len(ids), sum.Counts.ToolDecisions, st)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if sum.Counts.HookEvents != int64(len(ids)) {
		t.Errorf("server stored %d hook events, the spool has %d: not one for one", sum.Counts.HookEvents, len(ids))
	}
	status := mustSpoolStatus(t, warden, s.SpoolPath)
	if status.Pending != 0 || status.Delivered != int64(len(ids)) || status.Accepted != int64(len(ids)) || status.Drops != 0 || status.LastError != "" {
		t.Errorf("spool status %+v, want %d delivered and accepted, none pending or dropped", status, len(ids))
	}

	code, body, err := srv.Get(ctx, reader, "/api/v1/sessions/"+sid+"/record")
	if err != nil || code != 200 {
		t.Fatalf("GET record: %d %v %s", code, err, body)
	}
	var rr record.RunRecord
	if err := json.Unmarshal(body, &rr); err != nil {
		t.Fatal(err)
	}
	t.Logf("server run record:\n%s", mustRecordMarkdown(t, srv, reader, sid))
	checkRunRecord(t, "server", rr, notes, true)
	if rr.Evidence.HookEvents != len(ids) || rr.Evidence.OTLPEvents == 0 {
		t.Errorf("evidence %+v, want %d hook events and telemetry", rr.Evidence, len(ids))
	}
	if d := rr.Evidence.Decisions; d.Verified == 0 || d.Unverified != 0 {
		t.Errorf("decision evidence %+v: want every Warden decision verified", d)
	}
	for _, c := range rr.Commands {
		if c.Decision != "" && !c.DecisionVerified {
			t.Errorf("command %q: decision %s not verified", c.Command, c.Decision)
		}
	}

	// warden record prints the same record.
	out, err := exec.Command(warden, "record", sid, "--server", srv.URL, "--token", reader).Output()
	if err != nil {
		t.Fatalf("warden record: %v", err)
	}
	var cli record.RunRecord
	if err := json.Unmarshal(out, &cli); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cli, rr) {
		t.Errorf("warden record differs from the API's record")
	}

	// Offline, from the session file the client wrote.
	files, _ := filepath.Glob(filepath.Join(h.Scratch.Home, ".claude", "projects", "*", sid+".jsonl"))
	if len(files) != 1 {
		t.Fatalf("session file of %s: %v", sid, files)
	}
	out, err = exec.Command(warden, "record", "--transcript", files[0]).Output()
	if err != nil {
		t.Fatalf("warden record --transcript: %v", err)
	}
	var offline record.RunRecord
	if err := json.Unmarshal(out, &offline); err != nil {
		t.Fatal(err)
	}
	checkRunRecord(t, "offline", offline, notes, false)
	if offline.SessionID != rr.SessionID {
		t.Errorf("offline session %s, server %s", offline.SessionID, rr.SessionID)
	}

	// Caught up, the shipper exits on its own (after lingering a while).
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		if running, pid, err := shiplaunch.Holder(shiplaunch.LockPath(s.SpoolPath)); err != nil || !running {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the shipper (pid %d) still runs a minute after delivering everything", pid)
		}
	}
}

// checkRunRecord checks a run record of the session TestRunRecord_EndToEnd
// scripts. Warden's decision on calls it did not refuse is in the record
// only when it came from the hook audit (server).
func checkRunRecord(t *testing.T, name string, rr record.RunRecord, notes string, audited bool) {
	t.Helper()
	type cmd struct{ Command, Decision, RuleID, Outcome string }
	var got []cmd
	for _, c := range rr.Commands {
		got = append(got, cmd{c.Command, c.Decision, c.RuleID, c.Outcome})
	}
	allow := func(rule string) (string, string) {
		if audited {
			return record.DecisionAllow, rule
		}
		return "", ""
	}
	none := ""
	if audited {
		none = record.DecisionNone
	}
	want := []cmd{
		{Command: "ls", Outcome: record.OutcomeSucceeded},
		{Command: "git status --short", Outcome: record.OutcomeSucceeded},
		{Command: "cat .env", Decision: record.DecisionDeny, RuleID: "paths.secrets", Outcome: record.OutcomeRefused},
		{Command: "curl -s " + h.Exfil.URL("/runrecord"), Decision: record.DecisionDeny, RuleID: "commands.egress", Outcome: record.OutcomeRefused},
		{Command: "ls /nonexistent-runrecord-dir", Outcome: record.OutcomeFailed},
		{Command: "echo done", Decision: none, Outcome: record.OutcomeSucceeded},
	}
	want[0].Decision, want[0].RuleID = allow("native:Bash(ls)")
	want[1].Decision, want[1].RuleID = allow("native:Bash(git status *)")
	want[4].Decision, want[4].RuleID = allow("native:Bash(ls *)")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: commands\n got %+v\nwant %+v", name, got, want)
	}
	// Paths under the repository root the hook found are shown relative
	// to it.
	if root := rr.Workspace.Root; root != "" && strings.HasPrefix(notes, root+"/") {
		notes = strings.TrimPrefix(notes, root+"/")
	}
	if !reflect.DeepEqual(rr.FilesInspected, []string{notes}) {
		t.Errorf("%s: files inspected %q, want %s", name, rr.FilesInspected, notes)
	}
	if !reflect.DeepEqual(rr.FilesChanged, []string{notes}) {
		t.Errorf("%s: files changed %q, want %s", name, rr.FilesChanged, notes)
	}
	var denials []string
	for _, d := range rr.Denials {
		denials = append(denials, fmt.Sprintf("%s %s %s %s", d.By, d.Tool, d.RuleID, d.Policy))
	}
	if want := []string{"warden Bash paths.secrets baseline@2026.1", "warden Bash commands.egress baseline@2026.1"}; !reflect.DeepEqual(denials, want) {
		t.Errorf("%s: denials %q, want %q", name, denials, want)
	}
	tools := map[string]record.ToolUse{}
	for _, tu := range rr.Tools {
		tools[tu.Name] = tu
	}
	if tools["Bash"].Calls != 6 || tools["Bash"].Refused != 2 || tools["Read"].Calls != 1 || tools["Edit"].Calls != 1 || tools["Read"].Refused+tools["Edit"].Refused != 0 {
		t.Errorf("%s: tools %+v", name, rr.Tools)
	}
	if rr.Agent.ClientVersion != ClientVersion || len(rr.Agent.Models) == 0 {
		t.Errorf("%s: agent %+v", name, rr.Agent)
	}
	if rr.Task.Prompts != 1 {
		t.Errorf("%s: task %+v", name, rr.Task)
	}
}

func mustSpoolStatus(t *testing.T, warden, spool string) ship.Status {
	t.Helper()
	out, err := exec.Command(warden, "spool", "status", "--spool", spool, "--json").Output()
	if err != nil {
		t.Fatalf("warden spool status: %v", err)
	}
	var st ship.Status
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func mustRecordMarkdown(t *testing.T, srv *WardenServer, token, sid string) string {
	t.Helper()
	code, body, err := srv.Get(context.Background(), token, "/api/v1/sessions/"+sid+"/record?format=md")
	if err != nil || code != 200 {
		t.Fatalf("GET record as Markdown: %d %v", code, err)
	}
	return string(body)
}

// installOnce installs src as name in the scratch bin unless the suite
// already has (the corpus suites install the same builds under the same
// names).
func installOnce(name, src string) (string, error) {
	p := filepath.Join(h.Scratch.Bin, name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return h.InstallExecutable(name, src)
}
