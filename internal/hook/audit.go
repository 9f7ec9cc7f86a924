package hook

import (
	"fmt"
	"os"
	"strconv"
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

// baseEvent is the audit event for in before any decision: identity,
// place, the policy in force and the event's own metadata. It never copies
// prompt text, tool responses or file contents.
func (r *runner) baseEvent(in *Input, git gitInfo) record.AuditEventV1 {
	ev := record.AuditEventV1{
		Schema:         record.SchemaAuditV1,
		EventID:        record.NewEventID(r.cfg.Rand, r.start),
		Time:           r.start.UTC(),
		HookEvent:      in.HookEventName,
		SessionID:      in.SessionID,
		ToolUseID:      in.ToolUseID,
		PromptID:       in.PromptID,
		User:           r.user(),
		Host:           r.host(),
		Repository:     record.RedactBounded(git.repository(), maxURLBytes),
		Branch:         git.branchLabel(),
		Cwd:            in.Cwd,
		PermissionMode: in.PermissionMode,
		Decision:       record.DecisionNone,
		Policy:         r.meta.Policy,
		PolicyVersion:  r.meta.PolicyVersion,
		Tier:           r.meta.Tier,
		HandOff:        r.cfg.HandOff,
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
func (r *runner) setAction(ev *record.AuditEventV1, a engine.Action) {
	ev.Tool = a.Tool
	ev.Command = record.NormalizeCommand(a.Command)
	ev.Path = record.Truncate(a.Path, maxPathBytes)
	ev.URL = record.RedactBounded(a.URL, maxURLBytes)
	ev.MCPServer = a.MCPServer
	ev.MCPTool = a.MCPTool
}

// setDecision records the engine's decision and how long it took.
func (r *runner) setDecision(ev *record.AuditEventV1, d engine.Decision) {
	ev.Decision = d.Verdict.String()
	ev.Reason = record.RedactBounded(d.Reason, record.MaxReasonBytes)
	ev.RuleID = d.RuleID
	ev.Exception = d.Exception
	ev.Policy = first(d.Policy, r.meta.Policy)
	ev.PolicyVersion = first(d.PolicyVersion, r.meta.PolicyVersion)
	ev.Tier = first(d.Tier, r.meta.Tier)
	ev.DurationUS = r.elapsed()
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

// user names the local account: $USER, else $LOGNAME, else the numeric uid.
func (r *runner) user() string {
	if u := r.cfg.Getenv("USER"); u != "" {
		return u
	}
	if u := r.cfg.Getenv("LOGNAME"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}

func (r *runner) host() string {
	h, err := r.cfg.Hostname()
	if err != nil {
		return ""
	}
	return h
}
