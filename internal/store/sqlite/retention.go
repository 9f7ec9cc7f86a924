package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// DeleteBefore implements store.Store. The per-day rollups follow in the
// same transaction: the purged sessions' denial rows go with them, and
// the day counters of every day up to the cut's are rebuilt from what
// remains (why: internal/store/internal/rows/rollup.go).
func (db *DB) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	cut, _ := rows.Bounds(t, time.Time{})
	var deleted int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		deleted = 0
		if _, err := tx.ExecContext(ctx, `DELETE FROM rollup_denials
			WHERE session_id IN (SELECT session_id FROM sessions WHERE last_ns < ?)`, cut); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM events WHERE session_id IN (SELECT session_id FROM sessions WHERE last_ns < ?1)`,
			`DELETE FROM metric_points WHERE session_id IN (SELECT session_id FROM sessions WHERE last_ns < ?1)`,
			`DELETE FROM events WHERE session_id = '' AND time_ns < ?1`,
			`DELETE FROM metric_points WHERE session_id = '' AND time_ns < ?1`,
		} {
			res, err := tx.ExecContext(ctx, q, cut)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			deleted += n
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE last_ns < ?`, cut); err != nil {
			return err
		}
		if deleted == 0 {
			return nil // no day lost a row
		}
		// Every purged row's time is before the cut (a session's events
		// and points are no later than its last_ns).
		for _, q := range rebuildRollups {
			if _, err := tx.ExecContext(ctx, q, rows.LastNSOfDay(cut-1)); err != nil {
				return fmt.Errorf("rebuild rollups: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete before %s: %w", t.Format(time.RFC3339), err)
	}
	return int(deleted), nil
}
