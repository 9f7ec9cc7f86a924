package hookproto

import (
	"fmt"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// Bounds on recorded paths and URLs, in bytes.
const (
	maxPathBytes = 4096
	maxURLBytes  = 2048
)

// Git is what the caller read of the repository around the input's cwd,
// for the audit event and the engine's Action. A service deciding for a
// client on another machine knows none of it (the zero Git).
type Git struct {
	Root     string // repository root ("" when cwd is not in one)
	Remote   string // origin (else first) remote URL, credentials stripped
	Branch   string // checked-out branch; "" when detached or unknown
	Detached bool   // HEAD names a commit, not a branch
}

// branchLabel is the audit form of a branch: the name, or "HEAD" when
// detached (as git rev-parse --abbrev-ref prints it).
func (g Git) branchLabel() string {
	if g.Detached {
		return "HEAD"
	}
	return g.Branch
}

// repository is the audit form of a repository: its remote URL, else its
// root directory.
func (g Git) repository() string {
	if g.Remote != "" {
		return g.Remote
	}
	return g.Root
}

// Event is the audit event for in before any decision: identity, place,
// the policy in force and the event's own metadata, stamped env.Start with
// a new event ID. It never copies prompt text, tool responses or file
// contents.
func Event(in *Input, meta Meta, env Env) record.AuditEventV1 {
	ev := record.AuditEventV1{
		Schema:         record.SchemaAuditV1,
		EventID:        record.NewEventID(env.Rand, env.Start),
		Time:           env.Start.UTC(),
		HookEvent:      in.HookEventName,
		SessionID:      in.SessionID,
		ToolUseID:      in.ToolUseID,
		PromptID:       in.PromptID,
		User:           env.User,
		Host:           env.Host,
		Repository:     record.RedactBounded(env.Git.repository(), maxURLBytes),
		Branch:         env.Git.branchLabel(),
		Cwd:            in.Cwd,
		Root:           record.Truncate(env.Git.Root, maxPathBytes),
		PermissionMode: in.PermissionMode,
		Decision:       record.DecisionNone,
		Policy:         meta.Policy,
		PolicyVersion:  meta.PolicyVersion,
		Tier:           meta.Tier,
		HandOff:        env.HandOff,
		PauseIgnored:   record.RedactBounded(meta.PauseIgnored, record.MaxReasonBytes),
	}
	if meta.Pause != nil {
		ev.Paused = true
		ev.PauseReason = record.RedactBounded(meta.Pause.Reason, record.MaxReasonBytes)
	}
	switch in.HookEventName {
	case EventUserPromptSubmit:
		n := utf8.RuneCountInString(in.Prompt)
		ev.PromptLength = &n
	case EventSessionStart:
		ev.Source = in.Source
	case EventSessionEnd:
		ev.EndReason = in.Reason
	case EventConfigChange:
		ev.Source = in.Source
		ev.FilePath = in.FilePath
	case EventPostToolUseFailure:
		ev.Error = record.RedactBounded(in.Error, record.MaxErrorBytes)
	}
	return ev
}

// setAction records what the call does: tool, redacted command, path, URL
// and MCP names. Write content, Edit strings and the like stay out.
func setAction(ev *record.AuditEventV1, a engine.Action) {
	ev.Tool = a.Tool
	ev.Command = record.NormalizeCommand(a.Command)
	ev.Path = record.Truncate(a.Path, maxPathBytes)
	ev.URL = record.RedactBounded(a.URL, maxURLBytes)
	ev.MCPServer = a.MCPServer
	ev.MCPTool = a.MCPTool
}

// toucher is a Decider that analyses commands with its own catalogue
// (*engine.Engine: the built-in rows plus the policy's members).
type toucher interface {
	Touches(command, cwd, home string) engine.Touched
}

// setTouched records what a Bash call reads, writes and runs by the
// engine's analysis of its command, redacted and bounded: decided, the
// decision's own (Decision.Touched, from the analysis that decided it);
// else a separate analysis with the Decider's catalogue when it has one.
// Other tools are left alone: their path is the tool's own.
func setTouched(ev *record.AuditEventV1, a engine.Action, d Decider, decided *engine.Touched) {
	if a.Tool != "Bash" || a.Command == "" {
		return
	}
	var t engine.Touched
	switch tt, ok := d.(toucher); {
	case decided != nil:
		t = *decided
	case ok:
		t = tt.Touches(a.Command, a.Cwd, a.Home)
	default:
		t = engine.Touches(a.Command, a.Cwd, a.Home)
	}
	ev.Reads, ev.Writes, ev.Unmodelled = t.Reads, t.Writes, t.Unknown
	ev.Tests = len(t.Tests) > 0
	record.BoundTouched(ev)
}

// setDecision records the engine's decision and how long it took.
func setDecision(ev *record.AuditEventV1, d engine.Decision, meta Meta, env Env) {
	ev.Decision = d.Verdict.String()
	ev.Reason = record.RedactBounded(d.Reason, record.MaxReasonBytes)
	ev.RuleID = d.RuleID
	ev.Exception = d.Exception
	ev.Policy = first(d.Policy, meta.Policy)
	ev.PolicyVersion = first(d.PolicyVersion, meta.PolicyVersion)
	ev.Tier = first(d.Tier, meta.Tier)
	ev.DurationUS = env.elapsed()
}

// sanitize makes an out-of-range verdict a deny: an engine bug must not
// produce an answer Claude Code would ignore.
func sanitize(d engine.Decision) engine.Decision {
	if d.Verdict < policy.None || d.Verdict > policy.Deny {
		d.Reason = fmt.Sprintf("the engine returned an unknown decision (%d), so the call was blocked", int(d.Verdict))
		d.Verdict = policy.Deny
	}
	return d
}
