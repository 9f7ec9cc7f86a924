package store

import "time"

// StatsFilter selects what Stats aggregates: events and metric points whose
// time is in [Since, Until), sessions active in it. Both bounds are
// required, and the range may span at most MaxStatsDays days.
type StatsFilter struct {
	Since, Until time.Time
	// Top bounds each ranked list (tools, rules, teams, ...):
	// DefaultStatsTop when 0.
	Top int
}

// Bounds of Stats.
const (
	MaxStatsDays    = 366
	DefaultStatsTop = 10
)

// Stats is the console overview's material, over a filter's range.
type Stats struct {
	// Days has one entry per UTC day of the range, oldest first, days
	// without activity included.
	Days []DayStats `json:"days"`
	// DecisionsByRule counts Warden's hook decisions per day and rule
	// (deny and ask only: allow has no rule worth ranking), for the rules
	// of TopRules.
	DecisionsByRule []RuleDay `json:"decisions_by_rule"`
	// TopRules ranks the rules by their deny and ask decisions.
	TopRules []Count `json:"top_rules"`
	// Tools ranks tools by the tool_decision events Claude Code sent
	// (every call it considered), HookTools by Warden's PreToolUse audit.
	Tools     []Count `json:"tools"`
	HookTools []Count `json:"hook_tools"`
	// BlocksByTeam and BlocksByRepository rank Warden's denials by the
	// session's team and repository ("" when unknown).
	BlocksByTeam       []Count `json:"blocks_by_team"`
	BlocksByRepository []Count `json:"blocks_by_repository"`
	// Models ranks models by cost (claude_code.cost.usage), with their
	// tokens (claude_code.token.usage).
	Models []ModelStats `json:"models"`
}

// DayStats is one UTC day.
type DayStats struct {
	Day time.Time `json:"day"`
	// Sessions and Users count the sessions active that day (first to
	// last time overlaps it) and their distinct users.
	Sessions int64 `json:"sessions"`
	Users    int64 `json:"users"`
	// Decisions counts Warden's hook decisions by verdict (deny, ask,
	// allow, none).
	Decisions map[string]int64 `json:"decisions"`
	// CostUSD sums claude_code.cost.usage points.
	CostUSD float64 `json:"cost_usd"`
	// APIRequests and APIErrors count Claude Code's api_request and
	// api_error events; Retries counts the api_error events of an
	// attempt after the first (attempt > 1).
	APIRequests int64 `json:"api_requests"`
	APIErrors   int64 `json:"api_errors"`
	Retries     int64 `json:"retries"`
}

// RuleDay is how often a rule decided on one day.
type RuleDay struct {
	Day  time.Time `json:"day"`
	Rule string    `json:"rule"`
	N    int64     `json:"n"`
}

// Count is a ranked name with its count.
type Count struct {
	Name string `json:"name"`
	N    int64  `json:"n"`
}

// ModelStats is one model's cost and tokens.
type ModelStats struct {
	Model   string  `json:"model"`
	CostUSD float64 `json:"cost_usd"`
	Tokens  float64 `json:"tokens"`
}

// Day is 24 hours: Stats buckets by UTC day.
const Day = 24 * time.Hour

// ValidateStatsFilter checks f and returns its range as whole UTC days
// [lo, hi) and its Top with the default applied.
func ValidateStatsFilter(f StatsFilter) (lo, hi time.Time, top int, err error) {
	if f.Since.IsZero() || f.Until.IsZero() {
		return lo, hi, 0, Errorf(EInvalid, "stats: since and until are required")
	}
	if !f.Until.After(f.Since) {
		return lo, hi, 0, Errorf(EInvalid, "stats: until must be after since")
	}
	lo = f.Since.UTC().Truncate(Day)
	hi = f.Until.UTC().Truncate(Day)
	if !f.Until.UTC().Equal(hi) {
		hi = hi.Add(Day)
	}
	if hi.Sub(lo) > MaxStatsDays*Day {
		return lo, hi, 0, Errorf(EInvalid, "stats: at most %d days", MaxStatsDays)
	}
	top = f.Top
	if top <= 0 {
		top = DefaultStatsTop
	}
	if top > MaxLimit {
		return lo, hi, 0, Errorf(EInvalid, "stats: top at most %d", MaxLimit)
	}
	return lo, hi, top, nil
}

// NewStats returns Stats with one empty day per day of [lo, hi), for a
// store to fill.
func NewStats(lo, hi time.Time) *Stats {
	st := &Stats{DecisionsByRule: []RuleDay{}, TopRules: []Count{}, Tools: []Count{}, HookTools: []Count{},
		BlocksByTeam: []Count{}, BlocksByRepository: []Count{}, Models: []ModelStats{}}
	for d := lo; d.Before(hi); d = d.Add(Day) {
		st.Days = append(st.Days, DayStats{Day: d, Decisions: map[string]int64{}})
	}
	return st
}

// DayIndex is the index in Stats.Days of the day holding ns (Unix
// nanoseconds), or -1 outside [lo, lo+days).
func DayIndex(lo time.Time, days int, ns int64) int {
	i := int((ns - lo.UnixNano()) / int64(Day))
	if ns < lo.UnixNano() || i >= days {
		return -1
	}
	return i
}

// AddSessionDays counts a session active over [firstNS, lastNS] with user
// into the days it overlaps; users maps each day to the users seen.
func (st *Stats) AddSessionDays(firstNS, lastNS int64, user string, users []map[string]struct{}) {
	if len(st.Days) == 0 {
		return
	}
	lo := st.Days[0].Day
	n := len(st.Days)
	a := max(DayIndex(lo, n, max(firstNS, lo.UnixNano())), 0)
	b := DayIndex(lo, n, lastNS)
	if lastNS >= lo.Add(time.Duration(n)*Day).UnixNano() {
		b = n - 1
	}
	if b < 0 {
		return
	}
	for i := a; i <= b; i++ {
		st.Days[i].Sessions++
		if user != "" {
			users[i][user] = struct{}{}
		}
	}
}
