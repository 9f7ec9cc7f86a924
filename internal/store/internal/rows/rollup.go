package rows

import (
	"cmp"
	"encoding/json"
	"hash/fnv"
	"math"
	"slices"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Per-day rollups: the counters the console overview (store.Stats) reads
// instead of scanning the events of its period. Both stores keep them in
// two tables, added to in the transaction that inserts the events and
// points they count, so they count exactly the rows stored (a replayed ID
// inserts nothing and adds nothing):
//
//   - rollup_days (day_ns, metric, key, shard, n, value): one row per UTC
//     day, metric and key (and shard, below), with a count n and a sum
//     value. The metrics are the Roll* constants.
//   - rollup_denials (session_id, day_ns, team, repository, n): Warden's
//     hook denials per session and day, with the session's team and
//     repository. Blocks per team and repository (RollBlockTeam,
//     RollBlockRepo) count by these as the session's summary row has them
//     when the overview reads, and a session learns its team from
//     telemetry that may arrive after its denials. So an append first
//     moves, for every session whose summary now names a team or
//     repository its rows lack (they go from "" to a value once), those
//     rows' counts from the old to the new key and updates the rows; then
//     new rows copy the summary row's values and count under them.
//
// Retention deletes whole sessions (and session-less rows before the
// cut), which day counters cannot subtract without knowing what each
// deleted row counted. So DeleteBefore deletes the purged sessions'
// rollup_denials rows and rebuilds the rollup_days rows of every day up
// to the cut's from the rows that remain, in the same transaction: after
// a purge they are what a scan of the remaining events would give, and
// the days after the cut, which a purge never touches, stay as they are.
// The rebuild runs the statements of migration 0008's backfill, bounded
// by time.
//
// Counts are exact. Sums (cost, tokens) are float64s added batch by batch,
// so they can differ from a sum over the raw rows in the last bits, as
// two scans in different row orders can.
//
// Shard spreads one day's counters over several rows so that concurrent
// appends on PostgreSQL do not all wait for the lock on one row (each
// append's transaction holds its row locks until it commits); readers sum
// the shards. SQLite has one writer and writes shard 0.
const (
	RollDecision    = "decision"     // key: verdict; hook events with a decision
	RollRule        = "rule"         // key: rule ID; hook deny and ask decisions with a rule
	RollTool        = "tool"         // key: tool; tool_decision events with a tool
	RollHookTool    = "hook_tool"    // key: tool; PreToolUse events with a tool
	RollAPIRequest  = "api_request"  // api_request events
	RollAPIError    = "api_error"    // api_error events
	RollRetry       = "retry"        // api_error events whose attempt is a number above 1
	RollCost        = "cost"         // value: sum of claude_code.cost.usage points
	RollModelCost   = "model_cost"   // key: model; value: sum of its cost points
	RollModelTokens = "model_tokens" // key: model; value: sum of its token points
	RollBlockTeam   = "block_team"   // key: team of the session; hook denials
	RollBlockRepo   = "block_repo"   // key: repository of the session; hook denials
)

// Shards is how many shards PostgreSQL spreads a day's counters over.
const Shards = 8

// MinDayNS is the earliest day start a rollup uses: the first whole UTC
// day in int64 nanoseconds. Rows of the part-day before it (1677-09-21)
// count into it.
const MinDayNS = -106751 * int64(store.Day)

// DayNS is the start of the UTC day holding ns, in Unix nanoseconds.
func DayNS(ns int64) int64 {
	if ns < MinDayNS {
		return MinDayNS
	}
	d := int64(store.Day)
	return ns - ((ns%d)+d)%d
}

// LastNSOfDay is the last nanosecond of the UTC day holding ns.
func LastNSOfDay(ns int64) int64 {
	day := DayNS(ns)
	if day > math.MaxInt64-int64(store.Day)+1 {
		return math.MaxInt64
	}
	return day + int64(store.Day) - 1
}

// DaySQL is DayNS as an SQL expression over time_ns, the same in SQLite
// and PostgreSQL.
const DaySQL = `(CASE WHEN time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000) END)`

// RollupRow is what a batch adds to one rollup_days row.
type RollupRow struct {
	DayNS  int64
	Metric string
	Key    string
	N      int64
	Value  float64
}

// DenialRow is what a batch adds to one rollup_denials row.
type DenialRow struct {
	SessionID string
	DayNS     int64
	N         int64
}

type rollupKey struct {
	day         int64
	metric, key string
}

type rollupAgg map[rollupKey]*RollupRow

func (a rollupAgg) add(day int64, metric, key string, v float64) {
	k := rollupKey{day, metric, key}
	r := a[k]
	if r == nil {
		r = &RollupRow{DayNS: day, Metric: metric, Key: key}
		a[k] = r
	}
	r.N++
	r.Value += v
}

func (a rollupAgg) rows() []RollupRow {
	out := make([]RollupRow, 0, len(a))
	for _, r := range a {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(x, y RollupRow) int {
		return cmp.Or(cmp.Compare(x.DayNS, y.DayNS), cmp.Compare(x.Metric, y.Metric), cmp.Compare(x.Key, y.Key))
	})
	return out
}

// EventRollups is what inserted events add to the rollups, sorted by key
// (so that concurrent appends take row locks in one order).
func EventRollups(inserted []Event) ([]RollupRow, []DenialRow) {
	agg := rollupAgg{}
	denials := map[rollupKey]int64{}
	for i := range inserted {
		e := &inserted[i]
		day := DayNS(e.TimeNS)
		if e.Source == record.SourceHook && e.Decision != "" {
			agg.add(day, RollDecision, e.Decision, 0)
			if (e.Decision == record.DecisionDeny || e.Decision == record.DecisionAsk) && e.RuleID != "" {
				agg.add(day, RollRule, e.RuleID, 0)
			}
			if e.Decision == record.DecisionDeny && e.SessionID != "" {
				denials[rollupKey{day: day, key: e.SessionID}]++
			}
		}
		switch e.Kind {
		case "tool_decision":
			if e.Tool != "" {
				agg.add(day, RollTool, e.Tool, 0)
			}
		case "PreToolUse":
			if e.Tool != "" {
				agg.add(day, RollHookTool, e.Tool, 0)
			}
		case "api_request":
			agg.add(day, RollAPIRequest, "", 0)
		case "api_error":
			agg.add(day, RollAPIError, "", 0)
			if e.retry {
				agg.add(day, RollRetry, "", 0)
			}
		}
	}
	d := make([]DenialRow, 0, len(denials))
	for k, n := range denials {
		d = append(d, DenialRow{SessionID: k.key, DayNS: k.day, N: n})
	}
	slices.SortFunc(d, func(x, y DenialRow) int {
		return cmp.Or(cmp.Compare(x.SessionID, y.SessionID), cmp.Compare(x.DayNS, y.DayNS))
	})
	return agg.rows(), d
}

// MetricRollups is what inserted metric points add to the rollups, sorted
// by key. Values count clamped to ±store.MaxMetricValue, as every sum
// does (points stored since that bound already are).
func MetricRollups(inserted []Metric) []RollupRow {
	agg := rollupAgg{}
	for i := range inserted {
		m := &inserted[i]
		day := DayNS(m.TimeNS)
		v := max(min(m.Value, store.MaxMetricValue), -store.MaxMetricValue)
		switch m.Name {
		case record.MetricCostUsage:
			agg.add(day, RollCost, "", v)
			agg.add(day, RollModelCost, m.model, v)
		case record.MetricTokenUsage:
			agg.add(day, RollModelTokens, m.model, v)
		}
	}
	return agg.rows()
}

// Shard picks the shard of a batch's rollup rows from its first ID, so
// that concurrent batches mostly land on different rows.
func Shard(firstID string) int {
	h := fnv.New32a()
	h.Write([]byte(firstID))
	return int(h.Sum32() % Shards)
}

// Retry reports whether an api_error event's attributes make it a retry:
// its attempt attribute is a number above 1 (Claude Code's attempt, typed
// as an integer by the OTLP decoder; a number that came back from JSON is
// a float64). A string is not a number, whatever it spells.
func Retry(attrs map[string]any) bool {
	switch v := attrs["attempt"].(type) {
	case int64:
		return v > 1
	case int:
		return v > 1
	case int32:
		return v > 1
	case uint64:
		return v > 1
	case float64:
		return !math.IsNaN(v) && v > 1
	case float32:
		return v > 1
	case json.Number:
		f, err := v.Float64()
		return err == nil && f > 1
	}
	return false
}
