package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// SetReview implements store.Store.
func (db *DB) SetReview(ctx context.Context, r record.Review) (*record.Review, error) {
	if err := store.ValidateReview(&r); err != nil {
		return nil, err
	}
	r.Time = db.now().UTC()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reviews (session_id, decision, comment, reviewer, time_ns)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET
			decision = excluded.decision, comment = excluded.comment, reviewer = excluded.reviewer, time_ns = excluded.time_ns`,
			r.SessionID, r.Decision, r.Comment, r.Reviewer, r.Time.UnixNano())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("review session %s: %w", r.SessionID, err)
	}
	r.Time = rows.Time(r.Time.UnixNano())
	return &r, nil
}

// Review implements store.Store.
func (db *DB) Review(ctx context.Context, sessionID string) (*record.Review, error) {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return nil, err
	}
	var r record.Review
	var ns int64
	err := db.r.QueryRowContext(ctx, `SELECT session_id, decision, comment, reviewer, time_ns FROM reviews WHERE session_id = ?`,
		sessionID).Scan(&r.SessionID, &r.Decision, &r.Comment, &r.Reviewer, &ns)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "session %q has no review", sessionID)
	}
	if err != nil {
		return nil, fmt.Errorf("review of session %s: %w", sessionID, err)
	}
	r.Time = rows.Time(ns)
	return &r, nil
}

// statsQueries are Stats' SQL in SQLite's dialect; rows.Stats runs them.
var statsQueries = rows.StatsQueries{
	Sessions: `SELECT first_ns, last_ns, user_id FROM sessions WHERE last_ns >= ? AND first_ns < ?`,
	Rollups: `SELECT day_ns, metric, key, sum(n), sum(value) FROM rollup_days
		WHERE day_ns >= ?1 AND day_ns < ?2 GROUP BY 1, 2, 3`,
}

// Stats implements store.Store.
func (db *DB) Stats(ctx context.Context, f store.StatsFilter) (*store.Stats, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	defer tx.Rollback()
	st, err := rows.Stats(ctx, f, statsQueries, func(ctx context.Context, q string, args ...any) (rows.Scanner, error) {
		return tx.QueryContext(ctx, q, args...)
	})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}
