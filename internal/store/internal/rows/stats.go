package rows

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/wardenhq/warden/internal/store"
)

// StatsQueries are the SQL of store.Stats in one dialect. Every query but
// Sessions takes the range's bounds in Unix nanoseconds as its first two
// parameters; day buckets are (time_ns - lo) / 86400e9.
type StatsQueries struct {
	// Sessions: first_ns, last_ns, user_id of the sessions active in
	// [lo, hi).
	Sessions string
	// Decisions: day, decision, count of hook events with a decision.
	Decisions string
	// RuleDays: day, rule_id, count of hook deny and ask decisions.
	RuleDays string
	// Tools: tool, count of events of kind $3, top $4 by count.
	Tools string
	// Blocks: a format with one %s, the sessions column to group by (team
	// or repository): value, count of hook denials, top $3.
	Blocks string
	// API: day, kind, count of api_request and api_error events (index
	// only: no body).
	API string
	// Retries: day, count of api_error events whose attempt is above 1
	// (reads the bodies of api_error events only).
	Retries string
	// CostDays: day, sum of claude_code.cost.usage.
	CostDays string
	// Models: model, metric name, sum, for cost and token usage.
	Models string
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
	day := func(i int64) int {
		if i < 0 || i >= int64(days) {
			return -1
		}
		return int(i)
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

	if err := each("decisions", q.Decisions, []any{l, h}, func(s Scanner) error {
		var d, n int64
		var decision string
		if err := s.Scan(&d, &decision, &n); err != nil {
			return err
		}
		if i := day(d); i >= 0 {
			st.Days[i].Decisions[decision] += n
		}
		return nil
	}); err != nil {
		return nil, err
	}

	byRule := map[string]int64{}
	var ruleDays []store.RuleDay
	if err := each("rules", q.RuleDays, []any{l, h}, func(s Scanner) error {
		var d, n int64
		var rule string
		if err := s.Scan(&d, &rule, &n); err != nil {
			return err
		}
		if i := day(d); i >= 0 {
			byRule[rule] += n
			ruleDays = append(ruleDays, store.RuleDay{Day: st.Days[i].Day, Rule: rule, N: n})
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

	counts := func(what, sql string, args []any) ([]store.Count, error) {
		out := []store.Count{}
		err := each(what, sql, args, func(s Scanner) error {
			var c store.Count
			if err := s.Scan(&c.Name, &c.N); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
		return out, err
	}
	if st.Tools, err = counts("tools", q.Tools, []any{l, h, "tool_decision", top}); err != nil {
		return nil, err
	}
	if st.HookTools, err = counts("hook tools", q.Tools, []any{l, h, "PreToolUse", top}); err != nil {
		return nil, err
	}
	if st.BlocksByTeam, err = counts("blocks by team", fmt.Sprintf(q.Blocks, "team"), []any{l, h, top}); err != nil {
		return nil, err
	}
	if st.BlocksByRepository, err = counts("blocks by repository", fmt.Sprintf(q.Blocks, "repository"), []any{l, h, top}); err != nil {
		return nil, err
	}

	if err := each("api", q.API, []any{l, h}, func(s Scanner) error {
		var d, n int64
		var kind string
		if err := s.Scan(&d, &kind, &n); err != nil {
			return err
		}
		if i := day(d); i >= 0 {
			if kind == "api_error" {
				st.Days[i].APIErrors += n
			} else {
				st.Days[i].APIRequests += n
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each("retries", q.Retries, []any{l, h}, func(s Scanner) error {
		var d, n int64
		if err := s.Scan(&d, &n); err != nil {
			return err
		}
		if i := day(d); i >= 0 {
			st.Days[i].Retries += n
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each("cost", q.CostDays, []any{l, h}, func(s Scanner) error {
		var d int64
		var usd float64
		if err := s.Scan(&d, &usd); err != nil {
			return err
		}
		if i := day(d); i >= 0 {
			st.Days[i].CostUSD += usd
		}
		return nil
	}); err != nil {
		return nil, err
	}
	models := map[string]*store.ModelStats{}
	if err := each("models", q.Models, []any{l, h}, func(s Scanner) error {
		var model, name string
		var v float64
		if err := s.Scan(&model, &name, &v); err != nil {
			return err
		}
		m := models[model]
		if m == nil {
			m = &store.ModelStats{Model: model}
			models[model] = m
		}
		if name == "claude_code.cost.usage" {
			m.CostUSD += v
		} else {
			m.Tokens += v
		}
		return nil
	}); err != nil {
		return nil, err
	}
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
