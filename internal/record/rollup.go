package record

import "math"

// Metric names Claude Code exports (delta temporality).
const (
	MetricSessionCount     = "claude_code.session.count"
	MetricCostUsage        = "claude_code.cost.usage"
	MetricTokenUsage       = "claude_code.token.usage"
	MetricActiveTime       = "claude_code.active_time.total"
	MetricLinesOfCode      = "claude_code.lines_of_code.count"
	MetricCommitCount      = "claude_code.commit.count"
	MetricPullRequestCount = "claude_code.pull_request.count"
	MetricCodeEditDecision = "claude_code.code_edit_tool.decision"
)

// Rollup components: what a metric point adds to, as RollupKind names it.
const (
	RollupSessions          = "sessions"
	RollupCostUSD           = "cost_usd"
	RollupTokensInput       = "tokens_input"
	RollupTokensOutput      = "tokens_output"
	RollupTokensCacheRead   = "tokens_cache_read"
	RollupTokensCacheCreate = "tokens_cache_creation"
	RollupActiveSeconds     = "active_seconds"
	RollupLinesAdded        = "lines_added"
	RollupLinesRemoved      = "lines_removed"
	RollupCommits           = "commits"
	RollupPullRequests      = "pull_requests"
	RollupCodeEditsAccepted = "code_edits_accepted"
	RollupCodeEditsRejected = "code_edits_rejected"
)

// Rollup is the sum of a set of metric points (one session's, or one user's
// over a time range). Points are deltas, so sums are totals.
type Rollup struct {
	Sessions      float64 `json:"sessions"` // claude_code.session.count
	CostUSD       float64 `json:"cost_usd"`
	Tokens        Tokens  `json:"tokens"`
	ActiveSeconds float64 `json:"active_seconds"`
	LinesAdded    float64 `json:"lines_added"`
	LinesRemoved  float64 `json:"lines_removed"`
	Commits       float64 `json:"commits"`
	PullRequests  float64 `json:"pull_requests"`
	// CodeEditsAccepted and CodeEditsRejected count Edit/Write permission
	// decisions (claude_code.code_edit_tool.decision).
	CodeEditsAccepted float64 `json:"code_edits_accepted"`
	CodeEditsRejected float64 `json:"code_edits_rejected"`
}

// Tokens are token counts by type (claude_code.token.usage's type attribute).
type Tokens struct {
	Input         float64 `json:"input"`
	Output        float64 `json:"output"`
	CacheRead     float64 `json:"cache_read"`
	CacheCreation float64 `json:"cache_creation"`
}

// UserRollup is one user's Rollup over a time range.
type UserRollup struct {
	UserID string `json:"user_id"`
	Rollup Rollup `json:"rollup"`
}

// RollupKind names the Rollup component a metric point adds to, or returns ""
// for points no rollup counts (they are stored all the same).
func RollupKind(p MetricPoint) string {
	switch p.Name {
	case MetricSessionCount:
		return RollupSessions
	case MetricCostUsage:
		return RollupCostUSD
	case MetricTokenUsage:
		switch p.Attrs["type"] {
		case "input":
			return RollupTokensInput
		case "output":
			return RollupTokensOutput
		case "cacheRead":
			return RollupTokensCacheRead
		case "cacheCreation":
			return RollupTokensCacheCreate
		}
	case MetricActiveTime:
		return RollupActiveSeconds
	case MetricLinesOfCode:
		switch p.Attrs["type"] {
		case "added":
			return RollupLinesAdded
		case "removed":
			return RollupLinesRemoved
		}
	case MetricCommitCount:
		return RollupCommits
	case MetricPullRequestCount:
		return RollupPullRequests
	case MetricCodeEditDecision:
		switch p.Attrs["decision"] {
		case "accept":
			return RollupCodeEditsAccepted
		case "reject":
			return RollupCodeEditsRejected
		}
	}
	return ""
}

// Add adds v to the component kind names (a RollupKind result); an unknown
// kind adds nothing. Sums saturate (see AddFinite), so a rollup always
// encodes as JSON, whatever points were stored.
func (r *Rollup) Add(kind string, v float64) {
	var dst *float64
	switch kind {
	case RollupSessions:
		dst = &r.Sessions
	case RollupCostUSD:
		dst = &r.CostUSD
	case RollupTokensInput:
		dst = &r.Tokens.Input
	case RollupTokensOutput:
		dst = &r.Tokens.Output
	case RollupTokensCacheRead:
		dst = &r.Tokens.CacheRead
	case RollupTokensCacheCreate:
		dst = &r.Tokens.CacheCreation
	case RollupActiveSeconds:
		dst = &r.ActiveSeconds
	case RollupLinesAdded:
		dst = &r.LinesAdded
	case RollupLinesRemoved:
		dst = &r.LinesRemoved
	case RollupCommits:
		dst = &r.Commits
	case RollupPullRequests:
		dst = &r.PullRequests
	case RollupCodeEditsAccepted:
		dst = &r.CodeEditsAccepted
	case RollupCodeEditsRejected:
		dst = &r.CodeEditsRejected
	default:
		return
	}
	*dst = AddFinite(*dst, v)
}

// AddFinite returns sum + v kept finite: a NaN or infinite v adds nothing,
// and a sum that would overflow stays at ±math.MaxFloat64. JSON has no
// NaN or infinity, so every sum Warden answers with is made this way.
func AddFinite(sum, v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return sum
	}
	s := sum + v
	switch {
	case math.IsInf(s, 1) || math.IsNaN(s):
		return math.MaxFloat64
	case math.IsInf(s, -1):
		return -math.MaxFloat64
	}
	return s
}
