package detect

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// KindConflict is the kind of the events the evaluator derives from a
// session's evidence conflicts (record.Conflict): one per conflict, with
// conflict_kind and conflict_field set and the two disagreeing events as
// its matched events.
const KindConflict = "conflict"

// Event is what a rule's conditions see as the variable `event`: one
// record.Event flattened into typed fields, with the session's context
// (user, device, repository, tier) filled in from the session's hook
// events when the event itself does not carry it (Claude Code's telemetry
// names none of them). Empty string, false or 0 when a field does not
// apply. docs/detect.md lists the fields.
type Event struct {
	ID     string `cel:"id"`
	Source string `cel:"source"` // "hook" or "otlp"
	// Kind is record.Event.Kind: the hook event name (PreToolUse, ...)
	// for hook events, Claude Code's event name (tool_decision, ...) for
	// telemetry, or "conflict".
	Kind       string `cel:"kind"`
	Session    string `cel:"session"`
	User       string `cel:"user"`
	Device     string `cel:"device"` // the hook's host name
	Repository string `cel:"repository"`
	// Team is the session's team from its telemetry resource (team=...
	// in OTEL_RESOURCE_ATTRIBUTES, which warden compile --team sets).
	Team           string `cel:"team"`
	Branch         string `cel:"branch"`
	Cwd            string `cel:"cwd"`
	Tier           string `cel:"tier"`
	PermissionMode string `cel:"permission_mode"`
	// CI is true for a session that runs in a CI tier or whose telemetry
	// resource names a CI system (ci.* or cicd.* attributes).
	CI        bool   `cel:"ci"`
	Tool      string `cel:"tool"`
	ToolUseID string `cel:"tool_use_id"`
	// Decision is Warden's (deny, ask, allow, none) for hook events, and
	// Claude Code's (accept, reject) for tool_decision.
	Decision string `cel:"decision"`
	// DecisionSource is tool_decision's source (config, hook, user, ...).
	DecisionSource string `cel:"decision_source"`
	RuleID         string `cel:"rule_id"`
	Exception      string `cel:"exception"`
	Failure        string `cel:"failure"`
	Command        string `cel:"command"`
	Path           string `cel:"path"`
	URL            string `cel:"url"`
	Host           string `cel:"host"` // URL's lower-cased host
	MCPServer      string `cel:"mcp_server"`
	MCPTool        string `cel:"mcp_tool"`
	Error          string `cel:"error"`
	ObservedOnly   bool   `cel:"observed_only"`
	// HookSource is a hook event's source (SessionStart, ConfigChange).
	HookSource string `cel:"hook_source"`
	FilePath   string `cel:"file_path"`
	// CallDecision and CallRuleID are Warden's decision and rule for the
	// tool call the event belongs to (by tool_use_id), from the call's
	// PreToolUse or PermissionRequest audit: they let a PostToolUse or a
	// tool_result say what Warden had decided about the call that ran.
	CallDecision  string `cel:"call_decision"`
	CallRuleID    string `cel:"call_rule_id"`
	ConflictKind  string `cel:"conflict_kind"`
	ConflictField string `cel:"conflict_field"`
	// Verified is the server's verification of a hook event (signed by an
	// enrolled device, chain intact, or a central decision); Unverified
	// is the reason it failed (record.UnverifiedReasons), "" when it did
	// not or the event was not checked.
	Verified   bool   `cel:"verified"`
	Unverified string `cel:"unverified"`
	// Attrs are the telemetry record's attributes (numbers as float64).
	Attrs    map[string]any `cel:"attrs"`
	Resource map[string]any `cel:"resource"`

	time   time.Time
	order  int      // position in the evaluation order, for ties
	linked []string // the stored events this one stands for (a conflict's two)
}

// Time returns the event's time.
func (e *Event) Time() time.Time { return e.time }

// sessionContext is what a session's hook events say about where it runs,
// taken from the first events that carry each field, as the run record
// does.
type sessionContext struct {
	user, device, repository, team, branch, cwd, tier, mode string
	ci                                                      bool
}

// flatten turns a session's stored events into evaluator events: the
// events themselves, in time order, and one KindConflict event per
// evidence conflict the run record finds, dated at the later of its two
// events.
func flatten(events []record.Event) []*Event {
	bySession := map[string][]record.Event{}
	var sessions []string
	for _, e := range events {
		if _, ok := bySession[e.SessionID]; !ok {
			sessions = append(sessions, e.SessionID)
		}
		bySession[e.SessionID] = append(bySession[e.SessionID], e)
	}
	var out []*Event
	for _, sid := range sessions {
		evs := bySession[sid]
		ctx := contextOf(evs)
		type decided struct {
			decision, rule string
			pre            bool
		}
		calls := map[string]decided{}
		for i := range evs {
			if a := evs[i].Audit; a != nil && a.ToolUseID != "" && (a.HookEvent == "PreToolUse" || a.HookEvent == "PermissionRequest") {
				// The call's first PreToolUse decides it, as in the run
				// record; a PermissionRequest only when there is none.
				pre := a.HookEvent == "PreToolUse"
				if c, ok := calls[a.ToolUseID]; !ok || pre && !c.pre {
					calls[a.ToolUseID] = decided{a.Decision, a.RuleID, pre}
				}
			}
		}
		for i := range evs {
			e := fromRecord(&evs[i], ctx)
			if c, ok := calls[e.ToolUseID]; ok && e.ToolUseID != "" {
				e.CallDecision, e.CallRuleID = c.decision, c.rule
			}
			out = append(out, e)
		}
		// Every conflict involves a hook audit event: a session without
		// one has none, and building its run record is most of the cost.
		if sid == "" || !slices.ContainsFunc(evs, func(e record.Event) bool { return e.Source == record.SourceHook }) {
			continue
		}
		rr := record.BuildRunRecord(record.SessionSummary{SessionID: sid}, evs)
		for _, c := range rr.Conflicts {
			at := c.First.Time
			if c.Second.Time.After(at) {
				at = c.Second.Time
			}
			e := &Event{ID: "conflict:" + c.First.EventID + ":" + c.Second.EventID, Source: "derived",
				Kind: KindConflict, Session: sid, ConflictKind: c.Kind, ConflictField: c.Field,
				ToolUseID: c.ToolUseID, Tool: c.Tool, time: at,
				linked: []string{c.First.EventID, c.Second.EventID}}
			ctx.apply(e)
			out = append(out, e)
		}
	}
	for i, e := range out {
		e.order = i
	}
	slices.SortStableFunc(out, func(a, b *Event) int {
		if c := a.time.Compare(b.time); c != 0 {
			return c
		}
		return a.order - b.order
	})
	for i, e := range out {
		e.order = i
	}
	return out
}

func contextOf(evs []record.Event) sessionContext {
	var c sessionContext
	for i := range evs {
		a := evs[i].Audit
		if a != nil {
			first(&c.user, a.User)
			first(&c.device, a.Host)
			first(&c.repository, a.Repository)
			first(&c.branch, a.Branch)
			first(&c.cwd, a.Cwd)
			first(&c.tier, a.Tier)
			first(&c.mode, a.PermissionMode)
		}
		first(&c.user, evs[i].UserID)
		first(&c.team, record.Team(evs[i].Resource))
		for k := range evs[i].Resource {
			if strings.HasPrefix(k, "ci.") || strings.HasPrefix(k, "cicd.") {
				c.ci = true
			}
		}
	}
	if c.tier == "ci" {
		c.ci = true
	}
	return c
}

func first(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func (c sessionContext) apply(e *Event) {
	// One user per session: Claude Code's telemetry names the user by a
	// hash, Warden's audit by account; a rule grouped by user must not see
	// one session as two users.
	if c.user != "" {
		e.User = c.user
	}
	first(&e.Device, c.device)
	first(&e.Repository, c.repository)
	first(&e.Team, c.team)
	first(&e.Branch, c.branch)
	first(&e.Cwd, c.cwd)
	first(&e.Tier, c.tier)
	first(&e.PermissionMode, c.mode)
	e.CI = e.CI || c.ci
}

func fromRecord(r *record.Event, ctx sessionContext) *Event {
	e := &Event{ID: r.ID, Source: r.Source, Kind: r.Kind, Session: r.SessionID, User: r.UserID,
		Tool: r.Tool, Decision: r.Decision, Attrs: r.Attrs, Resource: r.Resource, time: r.Time,
		linked: []string{r.ID}}
	if a := r.Audit; a != nil {
		e.User = firstNonEmpty(a.User, e.User)
		e.Device, e.Repository, e.Branch, e.Cwd, e.Tier = a.Host, a.Repository, a.Branch, a.Cwd, a.Tier
		e.PermissionMode, e.ToolUseID = a.PermissionMode, a.ToolUseID
		e.Tool, e.Decision, e.RuleID, e.Exception, e.Failure = firstNonEmpty(a.Tool, e.Tool), a.Decision, a.RuleID, a.Exception, a.Failure
		e.Command, e.Path, e.URL, e.MCPServer, e.MCPTool = a.Command, a.Path, a.URL, a.MCPServer, a.MCPTool
		e.Error, e.ObservedOnly, e.HookSource, e.FilePath = a.Error, a.ObservedOnly, a.Source, a.FilePath
		if e.time.IsZero() {
			e.time = a.Time
		}
	}
	if v := r.Verification; v != nil {
		e.Verified = v.Verified
		if !v.Verified {
			e.Unverified = v.Reason
		}
	}
	if r.Source == record.SourceOTLP {
		e.ToolUseID = attr(r.Attrs, "tool_use_id")
		e.DecisionSource = attr(r.Attrs, "source")
		e.PermissionMode = attr(r.Attrs, "permission_mode")
		if e.Tool == "" {
			e.Tool = attr(r.Attrs, "tool_name")
		}
		if e.Decision == "" && r.Kind == "tool_decision" {
			e.Decision = attr(r.Attrs, "decision")
		}
		if e.Kind == "permission_mode_change" {
			e.PermissionMode = firstNonEmpty(attr(r.Attrs, "to"), attr(r.Attrs, "permission_mode"), attr(r.Attrs, "new_mode"))
		}
		e.MCPServer = firstNonEmpty(attr(r.Attrs, "server_name"), attr(r.Attrs, "mcp_server_name"))
	}
	if e.URL != "" {
		if u, err := url.Parse(e.URL); err == nil {
			e.Host = strings.ToLower(u.Hostname())
		}
	}
	if e.Attrs == nil {
		e.Attrs = noAttrs
	}
	if e.Resource == nil {
		e.Resource = noAttrs
	}
	ctx.apply(e)
	return e
}

// noAttrs stands for absent attributes; CEL only reads it.
var noAttrs = map[string]any{}

func attr(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
