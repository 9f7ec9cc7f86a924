package hook

import (
	"crypto/rand"
	"io"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// RemoteOptions describe a decision made on behalf of another machine: a
// central service answering Claude Code's "http" hooks, which receive the
// same JSON as command hooks but run nowhere near the files the call is
// about.
type RemoteOptions struct {
	// Now is the clock (time.Now when nil); the decision is stamped with
	// its first reading.
	Now func() time.Time
	// Rand is the source of event IDs (crypto/rand when nil).
	Rand io.Reader
	// Home is the client's home directory, for ~ in paths; when empty it
	// is read from the input's transcript_path (HomeFromTranscript).
	Home string
	// User and Host identify the client as far as the service knows it;
	// they are recorded as given, possibly empty.
	User, Host string
}

func (o RemoteOptions) runner(in *Input, meta Meta) *runner {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	return &runner{
		cfg: Config{
			Now:      now,
			Rand:     rnd,
			Home:     o.home(in),
			Getenv:   func(string) string { return "" },
			Hostname: func() (string, error) { return "", nil },
		},
		start: now(),
		meta:  meta,
	}
}

// home is the home directory to decide with.
func (o RemoteOptions) home(in *Input) string {
	if o.Home != "" {
		return o.Home
	}
	return HomeFromTranscript(in.TranscriptPath)
}

// DecideRemote is Run's decision for one decoded input, made for a client
// on another machine: the same actions, engine call, answer shapes and
// audit events, without reading the client's files. The repository is
// unknown (the engine then treats cwd as the project root) and no git
// metadata is recorded, so the Decider should be built on engine.NoFS.
//
// It returns the answer Run would print (nil where Run prints nothing:
// PreToolUse with no opinion, PermissionRequest unless denied, events that
// only record) and the audit events Run would append: one, or one per call
// for PostToolBatch. A panic in dec becomes FailRemote's deny.
func DecideRemote(in *Input, dec Decider, meta Meta, opts RemoteOptions) (answer []byte, events []record.AuditEventV1) {
	r := opts.runner(in, meta)
	stamp := func(evs []record.AuditEventV1) []record.AuditEventV1 {
		for i := range evs {
			evs[i].User, evs[i].Host = opts.User, opts.Host
		}
		return evs
	}
	if p := catch(func() { answer, events = r.remote(in, dec) }); p != nil {
		ans, ev := FailRemote(in, meta, record.FailurePanic,
			"Warden: internal error while checking this call, so it was blocked ("+oneLine(p.Error())+")", opts)
		return ans, []record.AuditEventV1{ev}
	}
	return answer, stamp(events)
}

func (r *runner) remote(in *Input, dec Decider) ([]byte, []record.AuditEventV1) {
	home := r.cfg.Home
	base := r.baseEvent(in, gitInfo{})
	switch in.HookEventName {
	case EventPreToolUse, EventPermissionRequest:
		out, ev, _ := r.decideTool(in, dec, base, actionFrom(in, home, ""))
		return out, []record.AuditEventV1{ev}

	case EventPostToolBatch:
		events := make([]record.AuditEventV1, 0, len(in.ToolCalls))
		for _, c := range in.ToolCalls {
			events = append(events, r.observe(in.forCall(c), base, dec, nil, gitInfo{}))
		}
		return nil, events

	case EventConfigChange:
		ev := base
		if r.meta.BlockConfigChange && in.Source != "policy_settings" {
			reason := "Warden: settings changes during a session are blocked by policy " +
				policyLabel(r.meta.Policy, r.meta.PolicyVersion) + "; restart Claude Code to apply " + first(in.FilePath, in.Source)
			ev.Decision = record.DecisionDeny
			ev.Reason = record.RedactBounded(reason, record.MaxReasonBytes)
			ev.DurationUS = r.elapsed()
			return configChangeBlock(reason), []record.AuditEventV1{ev}
		}
		return nil, []record.AuditEventV1{ev}

	default:
		ev := base
		if in.ToolName != "" {
			r.setAction(&ev, actionFrom(in, home, ""))
		}
		return nil, []record.AuditEventV1{ev}
	}
}

// FailRemote is the answer and audit event for an input a remote decision
// could not be made for (failure is a record.Failure* code, reason what the
// user sees). It always denies, in the shape in's event expects
// (PermissionRequest's own, else PreToolUse's, which other events ignore):
// a service answering an HTTP hook cannot fail closed any other way, since
// Claude Code runs the tool on a non-2xx answer. in may be nil when the
// input did not decode at all.
func FailRemote(in *Input, meta Meta, failure, reason string, opts RemoteOptions) (answer []byte, ev record.AuditEventV1) {
	if in == nil {
		in = &Input{}
	}
	r := opts.runner(in, meta)
	ev = r.baseEvent(in, gitInfo{})
	if in.ToolName != "" {
		r.setAction(&ev, actionFrom(in, r.cfg.Home, ""))
	}
	ev.User, ev.Host = opts.User, opts.Host
	ev.Failure = failure
	ev.Reason = record.RedactBounded(reason, record.MaxReasonBytes)
	ev.Decision = record.DecisionDeny
	ev.DurationUS = r.elapsed()
	return denyAnswer(in.HookEventName, reason), ev
}

// DenyAnswer is the hook answer that denies with reason in the shape event
// expects: PermissionRequest's decision.behavior "deny", else PreToolUse's
// permissionDecision "deny".
func DenyAnswer(event, reason string) []byte { return denyAnswer(event, reason) }

// HomeFromTranscript returns the home directory a Claude Code transcript
// path lies under (/home/dev/.claude/projects/-home-dev-app/ID.jsonl →
// /home/dev), or "" when the path does not have that shape (a custom
// CLAUDE_CONFIG_DIR, say).
func HomeFromTranscript(path string) string {
	i := strings.Index(path, "/.claude/projects/")
	if i <= 0 {
		return ""
	}
	return path[:i]
}
