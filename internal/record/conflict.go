package record

import (
	"slices"
	"time"
)

// Conflict kinds. Evidence is append-only: no later event changes what an
// earlier one recorded, so where two events disagree the record keeps the
// first (by arrival at the server) and marks the disagreement with a
// Conflict naming both. These marks are what detection alerts on.
const (
	// ConflictContradiction: a second hook audit event for the same tool
	// call (same hook event and tool_use_id) contradicts the first in its
	// decision, command, path or user.
	ConflictContradiction = "contradiction"
	// ConflictDeniedButRan: Warden's audit denied the call, and Claude
	// Code's telemetry (tool_result, or a tool_decision accept) or a later
	// hook event (PostToolUse, PostToolUseFailure) says it ran.
	ConflictDeniedButRan = "denied-but-ran"
	// ConflictLateSessionStart: a SessionStart arrived after the session's
	// first event and claims an earlier start or another user. It moves
	// neither.
	ConflictLateSessionStart = "late-session-start"
)

// maxConflictValue bounds a Conflict's quoted values, in bytes.
const maxConflictValue = 256

// Conflict is a disagreement in a session's evidence: two events about the
// same thing that do not agree. First is the one the record keeps, Second
// the one that disagrees with it; both stay stored.
type Conflict struct {
	Kind string `json:"kind"` // a Conflict* kind
	// ToolUseID and Tool name the call, empty for a session-level conflict.
	ToolUseID string `json:"tool_use_id,omitempty"`
	Tool      string `json:"tool,omitempty"`
	// Field is what disagrees: decision, tool, command, path, user,
	// outcome or start.
	Field  string      `json:"field"`
	First  EvidenceRef `json:"first"`
	Second EvidenceRef `json:"second"`
}

// EvidenceRef names one stored event and what it says about a conflict's
// field. Value is agent-reachable data: render it escaped.
type EvidenceRef struct {
	EventID string    `json:"event_id"`
	Source  string    `json:"source"` // SourceHook or SourceOTLP
	Kind    string    `json:"kind"`   // the event's kind (PreToolUse, tool_result, ...)
	Time    time.Time `json:"time"`   // as the event claims it
	Value   string    `json:"value"`
}

func evidenceRef(e *Event, value string) EvidenceRef {
	at := e.Time
	if e.Audit != nil && !e.Audit.Time.IsZero() {
		at = e.Audit.Time
	}
	return EvidenceRef{EventID: e.ID, Source: e.Source, Kind: e.Kind, Time: at, Value: Truncate(value, maxConflictValue)}
}

// hookDecision is one hook audit event that decided (PreToolUse) or
// observed (PostToolBatch) a call, with its arrival rank.
type hookDecision struct {
	e    *Event
	a    *AuditEventV1
	rank int64
}

// ranEvidence is an event saying a call ran.
type ranEvidence struct {
	e     *Event
	value string
}

// resolveDecision picks the call's decision from its hook decision events:
// a PreToolUse over a PostToolBatch, then a verified event over an
// unverified one, then the first to arrive. Every other
// event of the same hook event that contradicts it becomes a conflict.
func (b *builder) resolveDecision(c *call) {
	if len(c.decisions) == 0 {
		return
	}
	slices.SortStableFunc(c.decisions, func(x, y hookDecision) int {
		px, py := x.a.HookEvent == "PreToolUse", y.a.HookEvent == "PreToolUse"
		switch {
		case px && !py:
			return -1
		case py && !px:
			return 1
		}
		// Verified evidence stands over unverified whatever arrived
		// first: an agent holding an ingest token can post before its
		// hook's signed event is shipped.
		vx, vy := verified(x.e), verified(y.e)
		switch {
		case vx && !vy:
			return -1
		case vy && !vx:
			return 1
		}
		return cmpInt(x.rank, y.rank)
	})
	w := c.decisions[0]
	a := w.a
	c.hooked = true
	c.decision = w.e
	if c.timeFrom != nil && c.timeFrom != w.e {
		// A contradicting event dated the call; the kept one dates it.
		c.time = a.Time
		if c.time.IsZero() {
			c.time = w.e.Time
		}
	}
	c.observedOnly = a.ObservedOnly
	if touchedIn(a) {
		c.setTouched(a)
	}
	c.warden, c.rule, c.reason, c.policy = a.Decision, a.RuleID, a.Reason, policyRefLabel(a.Policy, a.PolicyVersion)
	// The kept event's tool and target stand over what any other event
	// said, whatever time that one claims.
	for dst, v := range map[*string]string{&c.tool: a.Tool, &c.command: a.Command, &c.path: a.Path, &c.url: a.URL} {
		if v != "" {
			*dst = v
		}
	}
	rest := slices.Clone(c.decisions[1:])
	slices.SortStableFunc(rest, func(x, y hookDecision) int { return cmpInt(x.rank, y.rank) })
	for _, d := range rest {
		if d.a.HookEvent != a.HookEvent {
			continue
		}
		for _, f := range [...]struct{ field, first, second string }{
			{"decision", a.Decision, d.a.Decision},
			{"tool", a.Tool, d.a.Tool},
			{"command", a.Command, d.a.Command},
			{"path", a.Path, d.a.Path},
			{"user", a.User, d.a.User},
		} {
			// An event that leaves a field out does not contradict one
			// that has it: a central decision records no user, the local
			// hook beside it does.
			if f.first != f.second && (f.field == "decision" || f.first != "" && f.second != "") {
				b.conflict(c, Conflict{Kind: ConflictContradiction, Field: f.field,
					First: evidenceRef(w.e, f.first), Second: evidenceRef(d.e, f.second)})
			}
		}
	}
}

// crossCheck marks a call Warden denied that some event says ran.
func (b *builder) crossCheck(c *call) {
	if c.decision == nil || c.warden != DecisionDeny || c.observedOnly {
		return
	}
	for _, r := range c.ran {
		b.conflict(c, Conflict{Kind: ConflictDeniedButRan, Field: "outcome",
			First: evidenceRef(c.decision, DecisionDeny), Second: evidenceRef(r.e, r.value)})
	}
}

func (b *builder) conflict(c *call, k Conflict) {
	if c != nil {
		k.ToolUseID, k.Tool = c.id, c.tool
		label := k.Kind + ":" + k.Field
		if !slices.Contains(c.conflicts, label) {
			c.conflicts = append(c.conflicts, label)
		}
	}
	b.rr.Conflicts = append(b.rr.Conflicts, k)
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// arrival ranks the events by arrival (Event.Arrival when every event has
// it, else their order, which is then the best there is), marks the late
// SessionStarts and takes the session's user and workspace from the first
// hook events to arrive, so that no later event, whatever time it claims,
// replaces them.
func (b *builder) arrival(events []Event) {
	n := len(events)
	b.rank, b.late = make([]int64, n), make([]bool, n)
	known := n > 0
	for i := range events {
		known = known && events[i].Arrival > 0
	}
	order := make([]int, n)
	for i := range events {
		order[i] = i
		b.rank[i] = int64(i)
		if known {
			b.rank[i] = events[i].Arrival
		}
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmpInt(b.rank[x], b.rank[y]) })
	w := &b.rr.Workspace
	for j, i := range order {
		a := events[i].Audit
		if events[i].Source != SourceHook || a == nil {
			continue
		}
		if a.HookEvent == "SessionStart" && j > 0 {
			b.late[i] = true
			continue
		}
		if setFirst(&b.rr.User.Account, a.User); b.accountEvent == nil && a.User != "" {
			b.accountEvent = &events[i]
		}
		setFirst(&w.Host, a.Host)
		setFirst(&w.Repository, a.Repository)
		setFirst(&w.Branch, a.Branch)
		setFirst(&w.Cwd, a.Cwd)
		setFirst(&w.Root, a.Root)
	}
}

// lateStarts marks each late SessionStart that claims an earlier start
// than the session's, or another user than its first.
func (b *builder) lateStarts(events []Event) {
	var startEvent *Event
	for i := range events {
		if !b.late[i] && !events[i].Time.IsZero() && (startEvent == nil || events[i].Time.Before(startEvent.Time)) {
			startEvent = &events[i]
		}
	}
	for i := range events {
		if !b.late[i] {
			continue
		}
		e, a := &events[i], events[i].Audit
		if startEvent != nil && !a.Time.IsZero() && a.Time.Before(b.rr.Start) {
			b.conflict(nil, Conflict{Kind: ConflictLateSessionStart, Field: "start",
				First:  evidenceRef(startEvent, b.rr.Start.UTC().Format(time.RFC3339Nano)),
				Second: evidenceRef(e, a.Time.UTC().Format(time.RFC3339Nano))})
		}
		if b.accountEvent != nil && a.User != "" && a.User != b.rr.User.Account {
			b.conflict(nil, Conflict{Kind: ConflictLateSessionStart, Field: "user",
				First: evidenceRef(b.accountEvent, b.rr.User.Account), Second: evidenceRef(e, a.User)})
		}
	}
}
