package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// DeleteBefore implements store.Store.
func (db *DB) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	cut, _ := rows.Bounds(t, time.Time{})
	var deleted int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		deleted = 0
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
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE last_ns < ?`, cut)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete before %s: %w", t.Format(time.RFC3339), err)
	}
	return int(deleted), nil
}
