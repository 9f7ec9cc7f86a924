package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// QuarantineSession implements store.Store.
func (db *DB) QuarantineSession(ctx context.Context, sessionID, reason, by string) (*record.Quarantine, error) {
	if err := store.ValidateQuarantine(sessionID, reason, by); err != nil {
		return nil, err
	}
	var q *record.Quarantine
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO quarantines (session_id, reason, by_actor, time_ns)
			VALUES (?, ?, ?, ?) ON CONFLICT (session_id) DO NOTHING`,
			sessionID, reason, by, db.now().UnixNano()); err != nil {
			return err
		}
		var err error
		q, err = scanQuarantine(tx.QueryRowContext(ctx, quarantineQuery, sessionID))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("quarantine session %s: %w", sessionID, err)
	}
	return q, nil
}

const quarantineQuery = `SELECT session_id, reason, by_actor, time_ns FROM quarantines WHERE session_id = ?`

// Quarantine implements store.Store.
func (db *DB) Quarantine(ctx context.Context, sessionID string) (*record.Quarantine, error) {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return nil, err
	}
	q, err := scanQuarantine(db.r.QueryRowContext(ctx, quarantineQuery, sessionID))
	if errors.Is(err, sql.ErrNoRows) {
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
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM quarantines WHERE session_id = ?`, sessionID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.Errorf(store.ENotFound, "session %q is not quarantined", sessionID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("release session %s: %w", sessionID, err)
	}
	return nil
}

// ActiveQuarantines implements store.Store. The quarantines table holds
// one row per quarantined session: a scan of it, joined to the sessions
// by primary key, needs no index of its own.
func (db *DB) ActiveQuarantines(ctx context.Context, since time.Time, limit int) ([]record.Quarantine, error) {
	ns := since.UnixNano()
	rs, err := db.r.QueryContext(ctx, `SELECT q.session_id, q.reason, q.by_actor, q.time_ns
		FROM quarantines q LEFT JOIN sessions s ON s.session_id = q.session_id
		WHERE q.time_ns >= ? OR s.last_ns >= ?
		ORDER BY max(q.time_ns, coalesce(s.last_ns, 0)) DESC, q.session_id
		LIMIT ?`, ns, ns, store.ActiveQuarantinesLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("active quarantines: %w", err)
	}
	defer rs.Close()
	out := []record.Quarantine{}
	for rs.Next() {
		var q record.Quarantine
		var t int64
		if err := rs.Scan(&q.SessionID, &q.Reason, &q.By, &t); err != nil {
			return nil, fmt.Errorf("active quarantines: %w", err)
		}
		q.Time = rows.Time(t)
		out = append(out, q)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("active quarantines: %w", err)
	}
	return out, nil
}

func scanQuarantine(row *sql.Row) (*record.Quarantine, error) {
	var q record.Quarantine
	var ns int64
	if err := row.Scan(&q.SessionID, &q.Reason, &q.By, &ns); err != nil {
		return nil, err
	}
	q.Time = rows.Time(ns)
	return &q, nil
}
