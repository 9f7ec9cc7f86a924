package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// DeleteBefore implements store.Store. It locks the expiring sessions'
// rows first, so an append racing it either lands before (and its events
// go with the session) or recreates the session row for what it added.
//
// The per-day rollups follow in the same transaction: the purged
// sessions' denial rows go with them, and the day counters of every day
// up to the cut's are rebuilt from what remains (why:
// internal/store/internal/rows/rollup.go). The rebuild first locks
// rollup_days against writes, which waits for every append that has added
// to it to commit, so the rebuild counts their rows; an append still to
// add waits for the purge to commit, and its rows, which the rebuild did
// not see, add to the rebuilt counters.
func (db *DB) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	cut, _ := rows.Bounds(t, time.Time{})
	var deleted int64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		deleted = 0
		rs, err := tx.Query(ctx, `SELECT session_id FROM sessions WHERE last_ns < $1 ORDER BY session_id FOR UPDATE`, cut)
		if err != nil {
			return err
		}
		expired, err := pgx.CollectRows(rs, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rollup_denials WHERE session_id = ANY($1)`, expired); err != nil {
			return err
		}
		for _, q := range []struct {
			sql string
			arg any
		}{
			{`DELETE FROM events WHERE session_id = ANY($1)`, expired},
			{`DELETE FROM metric_points WHERE session_id = ANY($1)`, expired},
			{`DELETE FROM events WHERE session_id = '' AND time_ns < $1`, cut},
			{`DELETE FROM metric_points WHERE session_id = '' AND time_ns < $1`, cut},
		} {
			tag, err := tx.Exec(ctx, q.sql, q.arg)
			if err != nil {
				return err
			}
			deleted += tag.RowsAffected()
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE session_id = ANY($1)`, expired); err != nil {
			return err
		}
		if deleted == 0 {
			return nil // no day lost a row
		}
		// Every purged row's time is before the cut (a session's events
		// and points are no later than its last_ns).
		if _, err := tx.Exec(ctx, `LOCK TABLE rollup_days IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		for _, q := range rebuildRollups {
			if _, err := tx.Exec(ctx, q, rows.LastNSOfDay(cut-1)); err != nil {
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
