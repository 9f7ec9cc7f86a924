package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// DecisionCounts implements store.Store. Both queries read the partial
// index events_hook_time (time_ns, decision, rule_id, ...) alone.
func (db *DB) DecisionCounts(ctx context.Context, f store.DecisionFilter) (*store.DecisionCounts, error) {
	if err := store.ValidateDecisionFilter(f, false); err != nil {
		return nil, err
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("decision counts: %w", err)
	}
	defer tx.Rollback()
	out := &store.DecisionCounts{}
	var oldest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT min(time_ns) FROM events WHERE source = 'hook'`).Scan(&oldest); err != nil {
		return nil, fmt.Errorf("decision counts: oldest: %w", err)
	}
	if oldest.Valid {
		out.Oldest = rows.Time(oldest.Int64)
	}
	since := f.Since.UnixNano()
	args := []any{since, int64(f.Bucket), since, f.Until.UnixNano()}
	for _, d := range f.Decisions {
		args = append(args, d)
	}
	col, join := rows.DecisionKey(f.By)
	rs, err := tx.QueryContext(ctx, `SELECT `+col+`, (e.time_ns - ?) / ?, count(*) FROM events e`+join+`
		WHERE e.source = 'hook' AND e.time_ns >= ? AND e.time_ns <= ? AND e.decision IN (`+placeholders(len(f.Decisions))+`)
		AND `+col+` <> '' GROUP BY 1, 2 ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, fmt.Errorf("decision counts: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var c store.DecisionCount
		if err := rs.Scan(&c.Key, &c.Bucket, &c.Count); err != nil {
			return nil, fmt.Errorf("decision counts: %w", err)
		}
		out.Counts = append(out.Counts, c)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("decision counts: %w", err)
	}
	return out, nil
}

// DecisionSample implements store.Store.
func (db *DB) DecisionSample(ctx context.Context, f store.DecisionFilter) ([]record.Event, error) {
	if err := store.ValidateDecisionFilter(f, true); err != nil {
		return nil, err
	}
	args := []any{f.Since.UnixNano(), f.Until.UnixNano(), f.Key}
	for _, d := range f.Decisions {
		args = append(args, d)
	}
	args = append(args, f.Limit)
	col, join := rows.DecisionKey(f.By)
	rs, err := db.r.QueryContext(ctx, `SELECT e.body FROM events e`+join+`
		WHERE e.source = 'hook' AND e.time_ns >= ? AND e.time_ns <= ? AND `+col+` = ? AND e.decision IN (`+placeholders(len(f.Decisions))+`)
		ORDER BY e.time_ns DESC, e.ord DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("decision sample %s: %w", f.Key, err)
	}
	defer rs.Close()
	var out []record.Event
	for rs.Next() {
		var body []byte
		if err := rs.Scan(&body); err != nil {
			return nil, fmt.Errorf("decision sample %s: %w", f.Key, err)
		}
		e, err := rows.DecodeEvent(body)
		if err != nil {
			return nil, fmt.Errorf("decision sample %s: %w", f.Key, err)
		}
		out = append(out, e)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("decision sample %s: %w", f.Key, err)
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
