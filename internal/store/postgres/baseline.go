package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// DecisionCounts implements store.Store. Both queries read the partial
// index events_hook_time (time_ns, decision, rule_id, ...).
func (db *DB) DecisionCounts(ctx context.Context, f store.DecisionFilter) (*store.DecisionCounts, error) {
	if err := store.ValidateDecisionFilter(f, false); err != nil {
		return nil, err
	}
	out := &store.DecisionCounts{}
	err := db.read(ctx, func(tx pgx.Tx) error {
		out.Counts = out.Counts[:0]
		var oldest *int64
		if err := tx.QueryRow(ctx, `SELECT min(time_ns) FROM events WHERE source = 'hook'`).Scan(&oldest); err != nil {
			return fmt.Errorf("oldest: %w", err)
		}
		if oldest != nil {
			out.Oldest = rows.Time(*oldest)
		}
		since := f.Since.UnixNano()
		col, join := rows.DecisionKey(f.By)
		rs, err := tx.Query(ctx, `SELECT `+col+`, (e.time_ns - $1) / $2, count(*) FROM events e`+join+`
			WHERE e.source = 'hook' AND e.time_ns >= $1 AND e.time_ns <= $3 AND e.decision = ANY($4)
			AND `+col+` <> '' GROUP BY 1, 2 ORDER BY 1, 2`, since, int64(f.Bucket), f.Until.UnixNano(), f.Decisions)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var c store.DecisionCount
			var bucket, n int64
			if err := rs.Scan(&c.Key, &bucket, &n); err != nil {
				return err
			}
			c.Bucket, c.Count = int(bucket), int(n)
			out.Counts = append(out.Counts, c)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("decision counts: %w", err)
	}
	return out, nil
}

// DecisionSample implements store.Store.
func (db *DB) DecisionSample(ctx context.Context, f store.DecisionFilter) ([]record.Event, error) {
	if err := store.ValidateDecisionFilter(f, true); err != nil {
		return nil, err
	}
	var out []record.Event
	err := db.read(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		col, join := rows.DecisionKey(f.By)
		rs, err := tx.Query(ctx, `SELECT e.body FROM events e`+join+`
			WHERE e.source = 'hook' AND e.time_ns >= $1 AND e.time_ns <= $2 AND `+col+` = $3 AND e.decision = ANY($4)
			ORDER BY e.time_ns DESC, e.ord DESC LIMIT $5`, f.Since.UnixNano(), f.Until.UnixNano(), f.Key, f.Decisions, f.Limit)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var body []byte
			if err := rs.Scan(&body); err != nil {
				return err
			}
			e, err := rows.DecodeEvent(body)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("decision sample %s: %w", f.Key, err)
	}
	return out, nil
}
