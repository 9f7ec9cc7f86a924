package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

const quarantineQuery = `SELECT session_id, reason, by_actor, time_ns FROM quarantines WHERE session_id = $1`

// QuarantineSession implements store.Store.
func (db *DB) QuarantineSession(ctx context.Context, sessionID, reason, by string) (*record.Quarantine, error) {
	if err := store.ValidateQuarantine(sessionID, reason, by); err != nil {
		return nil, err
	}
	var q *record.Quarantine
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO quarantines (session_id, reason, by_actor, time_ns)
			VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO NOTHING`,
			sessionID, reason, by, db.now().UnixNano()); err != nil {
			return err
		}
		var err error
		q, err = scanQuarantine(tx.QueryRow(ctx, quarantineQuery, sessionID))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("quarantine session %s: %w", sessionID, err)
	}
	return q, nil
}

// Quarantine implements store.Store.
func (db *DB) Quarantine(ctx context.Context, sessionID string) (*record.Quarantine, error) {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return nil, err
	}
	var q *record.Quarantine
	err := db.conn(ctx, func(c *pgx.Conn) error {
		var err error
		q, err = scanQuarantine(c.QueryRow(ctx, quarantineQuery, sessionID))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "session %q is not quarantined", sessionID)
	}
	if err != nil {
		return nil, fmt.Errorf("quarantine of session %s: %w", sessionID, err)
	}
	return q, nil
}

// ReleaseSession implements store.Store.
func (db *DB) ReleaseSession(ctx context.Context, sessionID string) error {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return err
	}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, `DELETE FROM quarantines WHERE session_id = $1`, sessionID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.Errorf(store.ENotFound, "session %q is not quarantined", sessionID)
		}
		return nil
	})
	if err != nil && store.ErrorCode(err) != store.ENotFound {
		return fmt.Errorf("release session %s: %w", sessionID, err)
	}
	return err
}

// ActiveQuarantines implements store.Store. The quarantines table holds
// one row per quarantined session: a scan of it, joined to the sessions
// by primary key, needs no index of its own.
func (db *DB) ActiveQuarantines(ctx context.Context, since time.Time, limit int) ([]record.Quarantine, error) {
	ns := since.UnixNano()
	out := []record.Quarantine{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT q.session_id, q.reason, q.by_actor, q.time_ns
			FROM quarantines q LEFT JOIN sessions s ON s.session_id = q.session_id
			WHERE q.time_ns >= $1 OR s.last_ns >= $1
			ORDER BY GREATEST(q.time_ns, COALESCE(s.last_ns, 0)) DESC, q.session_id
			LIMIT $2`, ns, store.ActiveQuarantinesLimit(limit))
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var q record.Quarantine
			var t int64
			if err := rs.Scan(&q.SessionID, &q.Reason, &q.By, &t); err != nil {
				return err
			}
			q.Time = rows.Time(t)
			out = append(out, q)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("active quarantines: %w", err)
	}
	return out, nil
}

func scanQuarantine(row pgx.Row) (*record.Quarantine, error) {
	var q record.Quarantine
	var ns int64
	if err := row.Scan(&q.SessionID, &q.Reason, &q.By, &ns); err != nil {
		return nil, err
	}
	q.Time = rows.Time(ns)
	return &q, nil
}
