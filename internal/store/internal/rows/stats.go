package rows

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/wardenhq/warden/internal/store"
)

// StatsQueries are the SQL of store.Stats in one dialect. Every query but
// Sessions takes the range's bounds in Unix nanoseconds, whole UTC days,
// as its first two parameters.
type StatsQueries struct {
	// Sessions: first_ns, last_ns, user_id of the sessions active in
	// [lo, hi).
	Sessions string
	// Rollups: day_ns, metric, key, count and sum of the rollup_days rows
	// of the days in [lo, hi), their shards summed.
	Rollups string
}

// Scanner is what a query returns: database/sql's and pgx's rows alike.
type Scanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// QueryFunc runs a query in the caller's read transaction.
type QueryFunc func(ctx context.Context, q string, args ...any) (Scanner, error)

// Stats computes store.Stats with q's SQL through query, so that both
// stores aggregate alike.
func Stats(ctx context.Context, f store.StatsFilter, q StatsQueries, query QueryFunc) (*store.Stats, error) {
	lo, hi, top, err := store.ValidateStatsFilter(f)
	if err != nil {
		return nil, err
	}
	st := store.NewStats(lo, hi)
	days := len(st.Days)
	l, h := lo.UnixNano(), hi.UnixNano()
	each := func(what, sql string, args []any, fn func(s Scanner) error) error {
		rs, err := query(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer func() {
			switch c := rs.(type) {
			case interface{ Close() error }:
				c.Close()
			case interface{ Close() }:
				c.Close()
			}
		}()
		for rs.Next() {
			if err := fn(rs); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		if err := rs.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}

	users := make([]map[string]struct{}, days)
	for i := range users {
		users[i] = map[string]struct{}{}
	}
	if err := each("sessions", q.Sessions, []any{l, h}, func(s Scanner) error {
		var first, last int64
		var user string
		if err := s.Scan(&first, &last, &user); err != nil {
			return err
		}
		st.AddSessionDays(first, last, user, users)
		return nil
	}); err != nil {
		return nil, err
	}
	for i := range users {
		st.Days[i].Users = int64(len(users[i]))
	}

	byRule := map[string]int64{}
	var ruleDays []store.RuleDay
	tools, hookTools := map[string]int64{}, map[string]int64{}
	byTeam, byRepo := map[string]int64{}, map[string]int64{}
	models := map[string]*store.ModelStats{}
	model := func(name string) *store.ModelStats {
		m := models[name]
		if m == nil {
			m = &store.ModelStats{Model: name}
			models[name] = m
		}
		return m
	}
	if err := each("rollups", q.Rollups, []any{l, h}, func(s Scanner) error {
		var dayNS, n int64
		var metric, key string
		var v float64
		if err := s.Scan(&dayNS, &metric, &key, &n, &v); err != nil {
			return err
		}
		i := store.DayIndex(lo, days, dayNS)
		if i < 0 {
			return nil
		}
		d := &st.Days[i]
		switch metric {
		case RollDecision:
			d.Decisions[key] += n
		case RollRule:
			byRule[key] += n
			ruleDays = append(ruleDays, store.RuleDay{Day: d.Day, Rule: key, N: n})
		case RollTool:
			tools[key] += n
		case RollHookTool:
			hookTools[key] += n
		case RollAPIRequest:
			d.APIRequests += n
		case RollAPIError:
			d.APIErrors += n
		case RollRetry:
			d.Retries += n
		case RollCost:
			d.CostUSD += v
		case RollModelCost:
			model(key).CostUSD += v
		case RollModelTokens:
			model(key).Tokens += v
		case RollBlockTeam:
			byTeam[key] += n
		case RollBlockRepo:
			byRepo[key] += n
		}
		return nil
	}); err != nil {
		return nil, err
	}
	st.TopRules = ranked(byRule, top)
	kept := map[string]bool{}
	for _, c := range st.TopRules {
		kept[c.Name] = true
	}
	for _, rd := range ruleDays {
		if kept[rd.Rule] {
			st.DecisionsByRule = append(st.DecisionsByRule, rd)
		}
	}
	slices.SortFunc(st.DecisionsByRule, func(a, b store.RuleDay) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.Rule, b.Rule))
	})
	st.Tools, st.HookTools = ranked(tools, top), ranked(hookTools, top)

	// A move leaves a key at 0 on the days it moved from.
	for _, m := range []map[string]int64{byTeam, byRepo} {
		maps.DeleteFunc(m, func(_ string, n int64) bool { return n == 0 })
	}
	st.BlocksByTeam, st.BlocksByRepository = ranked(byTeam, top), ranked(byRepo, top)

	for _, m := range models {
		st.Models = append(st.Models, *m)
	}
	slices.SortFunc(st.Models, func(a, b store.ModelStats) int {
		return cmp.Or(cmp.Compare(b.CostUSD, a.CostUSD), cmp.Compare(b.Tokens, a.Tokens), cmp.Compare(a.Model, b.Model))
	})
	if len(st.Models) > top {
		st.Models = st.Models[:top]
	}
	return st, nil
}

// ranked returns the top n of m by count, then name.
func ranked(m map[string]int64, n int) []store.Count {
	out := make([]store.Count, 0, len(m))
	for k, v := range m {
		out = append(out, store.Count{Name: k, N: v})
	}
	slices.SortFunc(out, func(a, b store.Count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Name, b.Name)) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
