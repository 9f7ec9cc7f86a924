package record

import "time"

// SessionSummary is what a store knows about one Claude Code session at a
// glance: who ran it, where, when, how many events of which kind arrived and
// what it cost. It is derived from the session's events and metric points;
// the full run record is the session's events in order.
type SessionSummary struct {
	SessionID string `json:"session_id"`
	// UserID is the first non-empty Event.UserID or MetricPoint.UserID
	// stored for the session (OTLP's user.id hash, or the hook's user).
	UserID string `json:"user_id,omitempty"`
	// Host, Repository and Branch come from the session's first hook audit
	// events that carry them.
	Host       string `json:"host,omitempty"`
	Repository string `json:"repository,omitempty"`
	Branch     string `json:"branch,omitempty"`
	// Tier is the policy tier of the session's first hook audit event
	// that names one.
	Tier string `json:"tier,omitempty"`
	// Team is the team attribute of the first OTLP event whose resource
	// names one (OTEL_RESOURCE_ATTRIBUTES team=..., which `warden compile
	// --team` sets).
	Team string `json:"team,omitempty"`

	// FirstTime and LastTime bound the times of the session's events and
	// metric points.
	FirstTime time.Time `json:"first_time"`
	LastTime  time.Time `json:"last_time"`

	Counts SessionCounts `json:"counts"`
	// Rollup sums the session's metric points.
	Rollup Rollup `json:"rollup"`
	// Quarantined reports whether the session is quarantined now.
	Quarantined bool `json:"quarantined,omitempty"`
}

// SessionCounts counts a session's stored events by what they say.
type SessionCounts struct {
	Events     int64 `json:"events"`      // all events
	HookEvents int64 `json:"hook_events"` // Source hook
	// ToolDecisions counts OTLP tool_decision events; Rejections those of
	// them with decision reject (by config, a hook or the user).
	ToolDecisions int64 `json:"tool_decisions"`
	Rejections    int64 `json:"rejections"`
	// Denials and Asks count hook events whose Decision is deny or ask:
	// what Warden itself decided.
	Denials int64 `json:"denials"`
	Asks    int64 `json:"asks"`
	// Failures counts hook events where Warden failed to decide normally
	// (AuditEventV1.Failure set).
	Failures    int64 `json:"failures"`
	APIRequests int64 `json:"api_requests"`
	APIErrors   int64 `json:"api_errors"`
	// Conflicts is how many evidence conflicts (RunRecord.Conflicts) the
	// session's run record had when the server last built it after an
	// ingest: a count it keeps, not one of the events themselves.
	Conflicts int64 `json:"conflicts,omitempty"`
}
