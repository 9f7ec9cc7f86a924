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

func scanQuarantine(row *sql.Row) (*record.Quarantine, error) {
	var q record.Quarantine
	var ns int64
	if err := row.Scan(&q.SessionID, &q.Reason, &q.By, &ns); err != nil {
		return nil, err
	}
	q.Time = rows.Time(ns)
	return &q, nil
}
