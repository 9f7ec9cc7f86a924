package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

const bashInput = `{"session_id":"s1","cwd":"/nowhere/app","hook_event_name":"PreToolUse",` +
	`"tool_name":"Bash","tool_input":{"command":"echo hi"},"tool_use_id":"toolu_1"}`

// jsonString encodes s as a JSON string the way answers are encoded.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func wantPreToolUse(decision, reason string) string {
	return `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"` + decision +
		`","permissionDecisionReason":` + jsonString(reason) + "}}\n"
}

func wantPermissionDeny(reason string) string {
	return `{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"deny","message":` +
		jsonString(reason) + "}}}\n"
}

func unreadable(detail string) string {
	return "Warden: could not read this hook call (" + detail +
		"), so it was blocked; check that this Warden supports your Claude Code version"
}

func panicking(a engine.Action) engine.Decision { panic("boom") }

// TestRun_Failures pins the answer to every way Warden itself can fail:
// deny (fail closed) for decision events and unknown input, silence for the
// rest or when failing open, and never exit 1.
func TestRun_Failures(t *testing.T) {
	huge := `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"echo hi"},"pad":"` +
		strings.Repeat("a", hookproto.MaxInputBytes) + `"}`
	loadErr := &hookproto.LoadError{Path: "/etc/warden/policy.yaml", Err: errors.New(`policy.yaml:3:1: unknown key "deny"`)}
	loadFails := func(err error) func(*harness) {
		return func(h *harness) {
			h.cfg.Load = func(*hookproto.Input) (hookproto.Decider, hookproto.Meta, error) { return nil, hookproto.Meta{}, err }
		}
	}
	failOpen := func(next func(*harness)) func(*harness) {
		return func(h *harness) {
			h.cfg.FailOpen = true
			if next != nil {
				next(h)
			}
		}
	}
	tests := []struct {
		name        string
		stdin       string
		decide      func(engine.Action) engine.Decision // default: allow
		meta        *hookproto.Meta                     // default: testMeta
		setup       func(*harness)
		wantStdout  string
		wantCode    int
		wantFailure string
		wantStderr  string // substring
	}{
		{
			name:        "MalformedJSON",
			stdin:       "{this is not json",
			wantStdout:  wantPreToolUse("deny", unreadable("hook input is not valid JSON: invalid character 't' looking for beginning of object key string")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "EmptyInput",
			stdin:       "",
			wantStdout:  wantPreToolUse("deny", unreadable("hook input is empty")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "NotAnObject",
			stdin:       `["PreToolUse"]`,
			wantStdout:  wantPreToolUse("deny", unreadable("hook input is not a JSON object")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "TrailingData",
			stdin:       bashInput + ` {"hook_event_name":"Stop"}`,
			wantStdout:  wantPreToolUse("deny", unreadable("hook input has data after the JSON object")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "InputOver1MiB",
			stdin:       huge,
			wantStdout:  wantPreToolUse("deny", "Warden: the hook input is larger than 1 MiB, so the call was blocked without being checked"),
			wantFailure: record.FailureInputTooLarge,
		},
		{
			name:        "NonObjectToolInput",
			stdin:       strings.Replace(bashInput, `{"command":"echo hi"}`, `"echo hi"`, 1),
			wantStdout:  wantPreToolUse("deny", unreadable("PreToolUse input for Bash: tool_input is not a JSON object")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "MissingToolInput",
			stdin:       strings.Replace(bashInput, `"tool_input":{"command":"echo hi"},`, ``, 1),
			wantStdout:  wantPreToolUse("deny", unreadable("PreToolUse input for Bash has no tool_input")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "BashWithoutCommand",
			stdin:       strings.Replace(bashInput, `{"command":"echo hi"}`, `{"description":"x"}`, 1),
			wantStdout:  wantPreToolUse("deny", unreadable("PreToolUse input for Bash has no tool_input.command string")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "BashCommandNotString",
			stdin:       strings.Replace(bashInput, `{"command":"echo hi"}`, `{"command":["rm","-rf","/"]}`, 1),
			wantStdout:  wantPreToolUse("deny", unreadable("PreToolUse input for Bash has no tool_input.command string")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "MissingEventName",
			stdin:       `{"session_id":"s1","tool_name":"Bash","tool_input":{"command":"rm -rf /"}}`,
			wantStdout:  wantPreToolUse("deny", unreadable("hook input has no hook_event_name")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "MissingToolName",
			stdin:       `{"hook_event_name":"PreToolUse","tool_input":{"command":"ls"}}`,
			wantStdout:  wantPreToolUse("deny", unreadable("PreToolUse input has no tool_name")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:  "WrongTypePermissionRequest",
			stdin: `{"hook_event_name":"PermissionRequest","session_id":5,"tool_name":"Bash","tool_input":{"command":"ls"}}`,
			wantStdout: wantPermissionDeny(unreadable(
				"hook input field session_id: json: cannot unmarshal number into Go value of type string")),
			wantFailure: record.FailureInputInvalid,
		},
		{
			name:        "WrongTypeRecordOnlyEvent",
			stdin:       `{"hook_event_name":"Stop","stop_hook_active":"yes"}`,
			wantStdout:  "",
			wantFailure: record.FailureInputInvalid,
			wantStderr:  "recorded only; Stop does not decide",
		},
		{
			name:  "hookproto.LoadError",
			stdin: bashInput,
			setup: loadFails(loadErr),
			wantStdout: wantPreToolUse("deny", `Warden: policy /etc/warden/policy.yaml could not be loaded: `+
				`policy.yaml:3:1: unknown key "deny" — fix the file or run 'warden policy check /etc/warden/policy.yaml'`),
			wantFailure: record.FailurePolicyLoad,
		},
		{
			name:        "LoadErrorWithoutPath",
			stdin:       bashInput,
			setup:       loadFails(errors.New("no baseline for tier \"strict\"")),
			wantStdout:  wantPreToolUse("deny", `Warden: the policy could not be loaded: no baseline for tier "strict" — run 'warden policy check' to see why`),
			wantFailure: record.FailurePolicyLoad,
		},
		{
			name:  "LoadErrorPermissionRequest",
			stdin: `{"hook_event_name":"PermissionRequest","cwd":"/nowhere","tool_name":"mcp__notes__read_note","tool_input":{"name":"x"}}`,
			setup: loadFails(loadErr),
			wantStdout: wantPermissionDeny(`Warden: policy /etc/warden/policy.yaml could not be loaded: ` +
				`policy.yaml:3:1: unknown key "deny" — fix the file or run 'warden policy check /etc/warden/policy.yaml'`),
			wantFailure: record.FailurePolicyLoad,
		},
		{
			name:        "LoadErrorRecordOnlyEvent",
			stdin:       `{"hook_event_name":"PostToolUse","cwd":"/nowhere","tool_name":"Bash","tool_input":{"command":"ls"},"tool_response":{"stdout":"x"}}`,
			setup:       loadFails(loadErr),
			wantStdout:  "",
			wantFailure: record.FailurePolicyLoad,
			wantStderr:  "recorded only; PostToolUse does not decide",
		},
		{
			name:  "LoadPanics",
			stdin: bashInput,
			setup: func(h *harness) {
				h.cfg.Load = func(*hookproto.Input) (hookproto.Decider, hookproto.Meta, error) { panic("boom") }
			},
			wantStdout:  wantPreToolUse("deny", "Warden: the policy could not be loaded: panic: boom — run 'warden policy check' to see why"),
			wantFailure: record.FailurePolicyLoad,
		},
		{
			name:  "LoadReturnsNoEngine",
			stdin: bashInput,
			setup: func(h *harness) {
				h.cfg.Load = func(*hookproto.Input) (hookproto.Decider, hookproto.Meta, error) { return nil, testMeta, nil }
			},
			wantStdout:  wantPreToolUse("deny", "Warden: the policy could not be loaded: the policy loader returned no engine — run 'warden policy check' to see why"),
			wantFailure: record.FailurePolicyLoad,
		},
		{
			name:        "DeciderPanics",
			stdin:       bashInput,
			decide:      panicking,
			wantStdout:  wantPreToolUse("deny", "Warden: internal error while checking this call, so it was blocked (panic: boom); please report it with the output of 'warden version'"),
			wantFailure: record.FailurePanic,
			wantStderr:  "goroutine",
		},
		{
			name:   "UnknownVerdict",
			stdin:  bashInput,
			decide: func(engine.Action) engine.Decision { return engine.Decision{Verdict: policy.Verdict(9)} },
			wantStdout: wantPreToolUse("deny",
				"Warden: the engine returned an unknown decision (9), so the call was blocked [policy baseline@2026.11]"),
		},
		{
			name:        "FailOpenPolicy",
			stdin:       bashInput,
			decide:      panicking,
			meta:        &hookproto.Meta{Policy: "dev", FailOpen: true},
			wantStdout:  "",
			wantFailure: record.FailurePanic,
			wantStderr:  "(failing open)",
		},
		{
			name:        "FailOpenPolicyMalformedInput",
			stdin:       "{",
			meta:        &hookproto.Meta{Policy: "dev", FailOpen: true},
			wantStdout:  "",
			wantFailure: record.FailureInputInvalid,
			wantStderr:  "(failing open)",
		},
		{
			name:        "FailOpenEnvWhenLoadFails",
			stdin:       bashInput,
			setup:       failOpen(loadFails(loadErr)),
			wantStdout:  "",
			wantFailure: record.FailurePolicyLoad,
			wantStderr:  "(failing open)",
		},
		{
			name:        "FailOpenEnvIgnoredOncePolicyLoads",
			stdin:       bashInput,
			decide:      panicking,
			setup:       failOpen(nil),
			wantStdout:  wantPreToolUse("deny", "Warden: internal error while checking this call, so it was blocked (panic: boom); please report it with the output of 'warden version'"),
			wantFailure: record.FailurePanic,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decide := tt.decide
			if decide == nil {
				decide = func(a engine.Action) engine.Decision { return verdictDecision(policy.Allow, a) }
			}
			meta := testMeta
			if tt.meta != nil {
				meta = *tt.meta
			}
			h := newHarness(t, &fakeDecider{fn: decide}, meta)
			if tt.setup != nil {
				tt.setup(h)
			}
			res := h.run(tt.stdin)
			if res.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", res.code, tt.wantCode)
			}
			if res.stdout != tt.wantStdout {
				t.Errorf("stdout:\n got %s\nwant %s", res.stdout, tt.wantStdout)
			}
			mustJSON(t, res.stdout)
			if !strings.Contains(res.stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", res.stderr, tt.wantStderr)
			}
			evs := mustAuditEvents(t, res.audit)
			if len(evs) != 1 {
				t.Fatalf("%d audit events, want 1", len(evs))
			}
			if evs[0].Failure != tt.wantFailure {
				t.Errorf("audit failure = %q, want %q", evs[0].Failure, tt.wantFailure)
			}
			wantDecision := record.DecisionNone
			if strings.Contains(tt.wantStdout, `"deny"`) {
				wantDecision = record.DecisionDeny
			}
			if evs[0].Decision != wantDecision {
				t.Errorf("audit decision = %q, want %q", evs[0].Decision, wantDecision)
			}
		})
	}
}

func TestRun_SpoolFailureKeepsDecision(t *testing.T) {
	h := newHarness(t, &fakeDecider{verdict: policy.Deny}, testMeta)
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h.cfg.Spool = &clientstate.Spool{Path: filepath.Join(blocker, "audit.jsonl")} // a path under a file
	res := h.run(bashInput)
	if want := wantPreToolUse("deny", "Warden: test deny for Bash [rule test-deny, policy baseline@2026.11]"); res.stdout != want {
		t.Errorf("stdout:\n got %s\nwant %s", res.stdout, want)
	}
	if res.code != ExitOK {
		t.Errorf("exit code = %d, want 0", res.code)
	}
	if !strings.Contains(res.stderr, "warden: audit not recorded: append to spool:") {
		t.Errorf("stderr = %q, want an audit note", res.stderr)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestRun_StdoutFailure(t *testing.T) {
	for _, tc := range []struct {
		name    string
		verdict policy.Verdict
		stdin   string
	}{
		{"Deny", policy.Deny, bashInput},
		{"Allow", policy.Allow, bashInput},
		{"MalformedInput", policy.Deny, "{"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, &fakeDecider{verdict: tc.verdict}, testMeta)
			var stderr bytes.Buffer
			code := Run(context.Background(), h.cfg, strings.NewReader(tc.stdin), failingWriter{}, &stderr)
			if code != ExitBlock {
				t.Errorf("exit code = %d, want %d", code, ExitBlock)
			}
			if !strings.HasPrefix(stderr.String(), "Warden: ") || !strings.Contains(stderr.String(), "broken pipe") {
				t.Errorf("stderr = %q, want the reason and the write error", stderr.String())
			}
		})
	}
}

// TestRun_Watchdog checks that a decision that takes too long is answered
// with deny and exit 2 by the watchdog, through Config.Exit.
func TestRun_Watchdog(t *testing.T) {
	tests := []struct {
		name       string
		stdin      string
		meta       hookproto.Meta
		wantStdout string
		wantCode   int
	}{
		{
			name:       "PreToolUse",
			stdin:      bashInput,
			meta:       testMeta,
			wantStdout: wantPreToolUse("deny", "Warden: no decision within 50ms, so the call was blocked; run 'warden explain' on it to see what is slow"),
			wantCode:   ExitBlock,
		},
		{
			name:       "PermissionRequest",
			stdin:      `{"hook_event_name":"PermissionRequest","cwd":"/nowhere","tool_name":"Bash","tool_input":{"command":"ls"}}`,
			meta:       testMeta,
			wantStdout: wantPermissionDeny("Warden: no decision within 50ms, so the call was blocked; run 'warden explain' on it to see what is slow"),
			wantCode:   ExitBlock,
		},
		{
			name:     "PostToolBatchRecordsOnly",
			stdin:    `{"hook_event_name":"PostToolBatch","cwd":"/nowhere","tool_calls":[{"tool_name":"Bash","tool_input":{"command":"ls"}}]}`,
			meta:     testMeta,
			wantCode: ExitOK,
		},
		{
			name:     "FailOpen",
			stdin:    bashInput,
			meta:     hookproto.Meta{Policy: "dev", FailOpen: true},
			wantCode: ExitOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			slow := &fakeDecider{fn: func(a engine.Action) engine.Decision {
				select {
				case <-release:
				case <-time.After(10 * time.Second):
				}
				return verdictDecision(policy.Allow, a)
			}}
			h := newHarness(t, slow, tt.meta)
			h.cfg.Deadline = 50 * time.Millisecond
			exited := make(chan int, 1)
			h.cfg.Exit = func(code int) {
				exited <- code
				close(release) // as if the process had ended: let Run return
			}
			res := h.run(tt.stdin)
			select {
			case code := <-exited:
				if code != tt.wantCode {
					t.Errorf("Exit(%d), want Exit(%d)", code, tt.wantCode)
				}
			default:
				t.Fatal("the watchdog did not call Exit")
			}
			if res.code != tt.wantCode {
				t.Errorf("Run returned %d, want %d", res.code, tt.wantCode)
			}
			if res.stdout != tt.wantStdout {
				t.Errorf("stdout:\n got %s\nwant %s", res.stdout, tt.wantStdout)
			}
			evs := mustAuditEvents(t, res.audit)
			if len(evs) != 1 || evs[0].Failure != record.FailureTimeout {
				t.Errorf("audit = %+v, want one timeout event", evs)
			}
		})
	}
}

// blockingSink never returns until released: a spool on a stuck disk.
type blockingSink struct{ release chan struct{} }

func (s blockingSink) Append(...record.AuditEventV1) error { <-s.release; return nil }

// TestRun_WatchdogAfterAnswer checks that a spool that hangs after the
// answer was written cannot turn it into a timeout: the watchdog exits with
// the answer's code.
func TestRun_WatchdogAfterAnswer(t *testing.T) {
	h := newHarness(t, &fakeDecider{verdict: policy.Deny}, testMeta)
	h.cfg.Deadline = 50 * time.Millisecond
	sink := blockingSink{release: make(chan struct{})}
	h.cfg.Spool = sink
	exited := make(chan int, 1)
	h.cfg.Exit = func(code int) { exited <- code; close(sink.release) }
	res := h.run(bashInput)
	if code := <-exited; code != ExitOK {
		t.Errorf("Exit(%d), want Exit(0)", code)
	}
	if want := wantPreToolUse("deny", "Warden: test deny for Bash [rule test-deny, policy baseline@2026.11]"); res.stdout != want {
		t.Errorf("stdout:\n got %s\nwant %s", res.stdout, want)
	}
	if res.code != ExitOK {
		t.Errorf("Run returned %d, want 0", res.code)
	}
}
