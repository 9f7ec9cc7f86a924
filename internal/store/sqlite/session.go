package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

const sessionColumns = `s.session_id, s.user_id, s.host, s.repository, s.branch, s.first_ns, s.last_ns,
	s.events, s.hook_events, s.tool_decisions, s.rejections, s.denials, s.asks, s.failures,
	s.api_requests, s.api_errors, q.session_id IS NOT NULL, s.tier, s.team, s.conflicts`

const sessionFrom = ` FROM sessions s LEFT JOIN quarantines q ON q.session_id = s.session_id`

// ListSessions implements store.Store.
func (db *DB) ListSessions(ctx context.Context, f store.SessionFilter) (store.SessionPage, error) {
	limit, err := rows.Limit(f)
	if err != nil {
		return store.SessionPage{}, err
	}
	lo, hi := rows.Bounds(f.Since, f.Until)
	q := `SELECT ` + sessionColumns + sessionFrom + ` WHERE s.last_ns >= ? AND s.first_ns < ?`
	args := []any{lo, hi}
	for _, c := range []struct{ col, v string }{
		{"s.user_id", f.UserID}, {"s.repository", f.Repository}, {"s.host", f.Host}, {"s.tier", f.Tier}, {"s.team", f.Team},
	} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if f.HasDenials {
		q += ` AND (s.denials > 0 OR s.rejections > 0)`
	}
	if f.HasConflicts {
		q += ` AND s.conflicts > 0`
	}
	if f.HasAlerts {
		q += ` AND EXISTS (SELECT 1 FROM alerts a WHERE a.session_id = s.session_id)`
	}
	if f.Cursor != "" {
		c, err := rows.DecodeCursor(f.Cursor)
		if err != nil {
			return store.SessionPage{}, err
		}
		q += ` AND (s.first_ns, s.session_id) < (?, ?)`
		args = append(args, c.FirstNS, c.SessionID)
	}
	q += ` ORDER BY s.first_ns DESC, s.session_id DESC LIMIT ?`
	args = append(args, limit+1)

	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	defer tx.Rollback()
	sessions, err := querySessions(ctx, tx, q, args...)
	if err != nil {
		return store.SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	var page store.SessionPage
	if len(sessions) > limit {
		sessions = sessions[:limit]
		last := sessions[limit-1]
		page.Next = rows.Cursor{FirstNS: last.FirstTime.UnixNano(), SessionID: last.SessionID}.Encode()
	}
	if err := addRollups(ctx, tx, sessions); err != nil {
		return store.SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	page.Sessions = sessions
	return page, nil
}

// Session implements store.Store.
func (db *DB) Session(ctx context.Context, sessionID string) (*record.SessionSummary, error) {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return nil, err
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", sessionID, err)
	}
	defer tx.Rollback()
	sessions, err := querySessions(ctx, tx, `SELECT `+sessionColumns+sessionFrom+` WHERE s.session_id = ?`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", sessionID, err)
	}
	if len(sessions) == 0 {
		return nil, store.Errorf(store.ENotFound, "session %q not found", sessionID)
	}
	if err := addRollups(ctx, tx, sessions); err != nil {
		return nil, fmt.Errorf("session %s: %w", sessionID, err)
	}
	return &sessions[0], nil
}

func querySessions(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]record.SessionSummary, error) {
	rs, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := []record.SessionSummary{}
	for rs.Next() {
		var s record.SessionSummary
		var first, last int64
		c := &s.Counts
		if err := rs.Scan(&s.SessionID, &s.UserID, &s.Host, &s.Repository, &s.Branch, &first, &last,
			&c.Events, &c.HookEvents, &c.ToolDecisions, &c.Rejections, &c.Denials, &c.Asks, &c.Failures,
			&c.APIRequests, &c.APIErrors, &s.Quarantined, &s.Tier, &s.Team, &c.Conflicts); err != nil {
			return nil, err
		}
		s.FirstTime, s.LastTime = rows.Time(first), rows.Time(last)
		out = append(out, s)
	}
	return out, rs.Err()
}

func addRollups(ctx context.Context, tx *sql.Tx, sessions []record.SessionSummary) error {
	ids := make([]string, len(sessions))
	for i, s := range sessions {
		ids[i] = s.SessionID
	}
	rollups, err := sessionRollups(ctx, tx, ids)
	if err != nil {
		return err
	}
	for i := range sessions {
		sessions[i].Rollup = rollups[sessions[i].SessionID]
	}
	return nil
}

// SetSessionConflicts implements store.Store.
func (db *DB) SetSessionConflicts(ctx context.Context, sessionID string, n int) error {
	if err := store.ValidateSessionConflicts(sessionID, n); err != nil {
		return err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET conflicts = ? WHERE session_id = ?`, n, sessionID)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			return store.Errorf(store.ENotFound, "session %q not found", sessionID)
		}
		return nil
	})
	if err != nil && store.ErrorCode(err) != store.ENotFound {
		return fmt.Errorf("set conflicts of session %s: %w", sessionID, err)
	}
	return err
}
