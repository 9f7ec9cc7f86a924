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

func scanQuarantine(row pgx.Row) (*record.Quarantine, error) {
	var q record.Quarantine
	var ns int64
	if err := row.Scan(&q.SessionID, &q.Reason, &q.By, &ns); err != nil {
		return nil, err
	}
	q.Time = rows.Time(ns)
	return &q, nil
}
