package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// SetReview implements store.Store.
func (db *DB) SetReview(ctx context.Context, r record.Review) (*record.Review, error) {
	if err := store.ValidateReview(&r); err != nil {
		return nil, err
	}
	r.Time = rows.Time(db.now().UnixNano())
	err := db.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO reviews (session_id, decision, comment, reviewer, time_ns)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO UPDATE SET
			decision = excluded.decision, comment = excluded.comment, reviewer = excluded.reviewer, time_ns = excluded.time_ns`,
			r.SessionID, r.Decision, r.Comment, r.Reviewer, r.Time.UnixNano())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("review session %s: %w", r.SessionID, err)
	}
	return &r, nil
}

// Review implements store.Store.
func (db *DB) Review(ctx context.Context, sessionID string) (*record.Review, error) {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return nil, err
	}
	var r record.Review
	var ns int64
	err := db.conn(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT session_id, decision, comment, reviewer, time_ns FROM reviews WHERE session_id = $1`,
			sessionID).Scan(&r.SessionID, &r.Decision, &r.Comment, &r.Reviewer, &ns)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "session %q has no review", sessionID)
	}
	if err != nil {
		return nil, fmt.Errorf("review of session %s: %w", sessionID, err)
	}
	r.Time = rows.Time(ns)
	return &r, nil
}

// statsQueries are Stats' SQL in PostgreSQL's dialect; rows.Stats runs
// them.
var statsQueries = rows.StatsQueries{
	Sessions: `SELECT first_ns, last_ns, user_id FROM sessions WHERE last_ns >= $1 AND first_ns < $2`,
	Rollups: `SELECT day_ns, metric, key, sum(n)::bigint, sum(value) FROM rollup_days
		WHERE day_ns >= $1 AND day_ns < $2 GROUP BY 1, 2, 3`,
}

// Stats implements store.Store.
func (db *DB) Stats(ctx context.Context, f store.StatsFilter) (*store.Stats, error) {
	var st *store.Stats
	err := db.read(ctx, func(tx pgx.Tx) error {
		var err error
		st, err = rows.Stats(ctx, f, statsQueries, func(ctx context.Context, q string, args ...any) (rows.Scanner, error) {
			return tx.Query(ctx, q, args...)
		})
		return err
	})
	if err != nil {
		if store.ErrorCode(err) == store.EInvalid {
			return nil, err
		}
		return nil, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}
