package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

const insertEvent = `INSERT INTO events
	(id, source, kind, time_ns, sequence, session_id, user_id, prompt_id, tool, decision, body, rule_id)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`

// upsertSession adds a batch's aggregate to a session's summary row. An
// existing row's start moves only by ?17, rows.Session.LaterFirstNS.
const upsertSession = `INSERT INTO sessions
	(session_id, user_id, host, repository, branch, first_ns, last_ns,
	 events, hook_events, tool_decisions, rejections, denials, asks, failures, api_requests, api_errors, tier, team)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?18, ?19)
	ON CONFLICT (session_id) DO UPDATE SET
	user_id        = CASE WHEN user_id = '' THEN excluded.user_id ELSE user_id END,
	host           = CASE WHEN host = '' THEN excluded.host ELSE host END,
	repository     = CASE WHEN repository = '' THEN excluded.repository ELSE repository END,
	branch         = CASE WHEN branch = '' THEN excluded.branch ELSE branch END,
	tier           = CASE WHEN tier = '' THEN excluded.tier ELSE tier END,
	team           = CASE WHEN team = '' THEN excluded.team ELSE team END,
	first_ns       = min(first_ns, ?17),
	last_ns        = max(last_ns, excluded.last_ns),
	events         = events + excluded.events,
	hook_events    = hook_events + excluded.hook_events,
	tool_decisions = tool_decisions + excluded.tool_decisions,
	rejections     = rejections + excluded.rejections,
	denials        = denials + excluded.denials,
	asks           = asks + excluded.asks,
	failures       = failures + excluded.failures,
	api_requests   = api_requests + excluded.api_requests,
	api_errors     = api_errors + excluded.api_errors`

// AppendEvents implements store.Store.
func (db *DB) AppendEvents(ctx context.Context, events []record.Event) (int, error) {
	batch, err := rows.Events(events)
	if err != nil {
		return 0, err
	}
	if len(batch) == 0 {
		return 0, nil
	}
	var inserted []rows.Event
	err = db.tx(ctx, func(tx *sql.Tx) error {
		inserted = inserted[:0]
		stmt := tx.StmtContext(ctx, db.insertEventStmt)
		for _, e := range batch {
			res, err := stmt.ExecContext(ctx, e.ID, e.Source, e.Kind, e.TimeNS, e.Seq, e.SessionID,
				e.UserID, e.PromptID, e.Tool, e.Decision, e.Body, e.RuleID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				inserted = append(inserted, e)
			}
		}
		if rows.HasLinks(inserted) {
			if err := insertLinks(ctx, tx.StmtContext(ctx, db.insertLinksStmt), tx.StmtContext(ctx, db.insertLinkStmt), inserted); err != nil {
				return err
			}
		}
		sessions := rows.SessionsOfEvents(inserted)
		if err := upsertSessions(ctx, tx.StmtContext(ctx, db.upsertSessionStmt), sessions); err != nil {
			return err
		}
		days, denials := rows.EventRollups(inserted)
		return db.addDayRollups(ctx, tx, days, denials, sessions)
	})
	if err != nil {
		return 0, fmt.Errorf("append %d events: %w", len(batch), err)
	}
	return len(inserted), nil
}

// upsertSessions updates the session summaries through stmt, the writer's
// prepared upsertSession bound to the transaction.
func upsertSessions(ctx context.Context, stmt *sql.Stmt, sessions []rows.Session) error {
	for _, s := range sessions {
		c := s.Counts
		if _, err := stmt.ExecContext(ctx, s.SessionID, s.UserID, s.Host, s.Repository, s.Branch, s.FirstNS, s.LastNS,
			c.Events, c.HookEvents, c.ToolDecisions, c.Rejections, c.Denials, c.Asks, c.Failures,
			c.APIRequests, c.APIErrors, s.LaterFirstNS, s.Tier, s.Team); err != nil {
			return err
		}
	}
	return nil
}

// SessionEvents implements store.Store.
func (db *DB) SessionEvents(ctx context.Context, sessionID string) ([]record.Event, error) {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return nil, err
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("session %s events: %w", sessionID, err)
	}
	defer tx.Rollback()
	events, err := sessionEvents(ctx, tx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("session %s events: %w", sessionID, err)
	}
	if len(events) == 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE session_id = ?`, sessionID).Scan(&n); err != nil {
			return nil, fmt.Errorf("session %s events: %w", sessionID, err)
		}
		if n == 0 {
			return nil, store.Errorf(store.ENotFound, "session %q not found", sessionID)
		}
	}
	return events, nil
}

func sessionEvents(ctx context.Context, tx *sql.Tx, sessionID string) ([]record.Event, error) {
	rs, err := tx.QueryContext(ctx, `SELECT body, ord FROM events WHERE session_id = ?
		ORDER BY time_ns, sequence, ord`, sessionID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	events := []record.Event{}
	for rs.Next() {
		var (
			body []byte
			ord  int64
		)
		if err := rs.Scan(&body, &ord); err != nil {
			return nil, err
		}
		e, err := rows.DecodeEvent(body)
		if err != nil {
			return nil, err
		}
		e.Arrival = ord
		events = append(events, e)
	}
	return events, rs.Err()
}
