package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

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
	q := `SELECT ` + sessionColumns + sessionFrom + ` WHERE s.last_ns >= $1 AND s.first_ns < $2`
	args := []any{lo, hi}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, c := range []struct{ col, v string }{
		{"s.user_id", f.UserID}, {"s.repository", f.Repository}, {"s.host", f.Host}, {"s.tier", f.Tier}, {"s.team", f.Team},
	} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ` + arg(c.v)
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
		q += ` AND (s.first_ns, s.session_id) < (` + arg(c.FirstNS) + `, ` + arg(c.SessionID) + `)`
	}
	q += ` ORDER BY s.first_ns DESC, s.session_id DESC LIMIT ` + arg(limit+1)

	var page store.SessionPage
	err = db.read(ctx, func(tx pgx.Tx) error {
		sessions, err := querySessions(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		page.Next = ""
		if len(sessions) > limit {
			sessions = sessions[:limit]
			last := sessions[limit-1]
			page.Next = rows.Cursor{FirstNS: last.FirstTime.UnixNano(), SessionID: last.SessionID}.Encode()
		}
		page.Sessions = sessions
		return addRollups(ctx, tx, sessions)
	})
	if err != nil {
		return store.SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	return page, nil
}

// Session implements store.Store.
func (db *DB) Session(ctx context.Context, sessionID string) (*record.SessionSummary, error) {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return nil, err
	}
	var sessions []record.SessionSummary
	err := db.read(ctx, func(tx pgx.Tx) error {
		var err error
		sessions, err = querySessions(ctx, tx, `SELECT `+sessionColumns+sessionFrom+` WHERE s.session_id = $1`, sessionID)
		if err != nil {
			return err
		}
		return addRollups(ctx, tx, sessions)
	})
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", sessionID, err)
	}
	if len(sessions) == 0 {
		return nil, store.Errorf(store.ENotFound, "session %q not found", sessionID)
	}
	return &sessions[0], nil
}

func querySessions(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]record.SessionSummary, error) {
	rs, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := []record.SessionSummary{}
	var s record.SessionSummary
	var first, last int64
	c := &s.Counts
	_, err = pgx.ForEachRow(rs, []any{&s.SessionID, &s.UserID, &s.Host, &s.Repository, &s.Branch, &first, &last,
		&c.Events, &c.HookEvents, &c.ToolDecisions, &c.Rejections, &c.Denials, &c.Asks, &c.Failures,
		&c.APIRequests, &c.APIErrors, &s.Quarantined, &s.Tier, &s.Team, &c.Conflicts}, func() error {
		s.FirstTime, s.LastTime = rows.Time(first), rows.Time(last)
		out = append(out, s)
		return nil
	})
	return out, err
}

func addRollups(ctx context.Context, tx pgx.Tx, sessions []record.SessionSummary) error {
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
	err := db.conn(ctx, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE sessions SET conflicts = $1 WHERE session_id = $2`, n, sessionID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.Errorf(store.ENotFound, "session %q not found", sessionID)
		}
		return nil
	})
	if err != nil && store.ErrorCode(err) != store.ENotFound {
		return fmt.Errorf("set conflicts of session %s: %w", sessionID, err)
	}
	return err
}
