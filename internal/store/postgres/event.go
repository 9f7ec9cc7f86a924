package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

const insertEvents = `INSERT INTO events
	(id, source, kind, time_ns, sequence, session_id, user_id, prompt_id, tool, decision, body, rule_id)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],
		$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
	ON CONFLICT (id) DO NOTHING
	RETURNING id`

// upsertSessions adds a batch's per-session aggregates to the summary rows.
// An existing row's start moves only by $17, rows.Session.LaterFirstNS
// (looked up by the session's position in $1: session IDs are unique in a
// batch's aggregates).
const upsertSessions = `INSERT INTO sessions AS s
	(session_id, user_id, host, repository, branch, first_ns, last_ns,
	 events, hook_events, tool_decisions, rejections, denials, asks, failures, api_requests, api_errors, tier, team)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
		$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],
		$15::bigint[], $16::bigint[], $18::text[], $19::text[])
	ON CONFLICT (session_id) DO UPDATE SET
	user_id        = CASE WHEN s.user_id = '' THEN excluded.user_id ELSE s.user_id END,
	host           = CASE WHEN s.host = '' THEN excluded.host ELSE s.host END,
	repository     = CASE WHEN s.repository = '' THEN excluded.repository ELSE s.repository END,
	branch         = CASE WHEN s.branch = '' THEN excluded.branch ELSE s.branch END,
	tier           = CASE WHEN s.tier = '' THEN excluded.tier ELSE s.tier END,
	team           = CASE WHEN s.team = '' THEN excluded.team ELSE s.team END,
	first_ns       = LEAST(s.first_ns, ($17::bigint[])[array_position($1::text[], excluded.session_id)]),
	last_ns        = GREATEST(s.last_ns, excluded.last_ns),
	events         = s.events + excluded.events,
	hook_events    = s.hook_events + excluded.hook_events,
	tool_decisions = s.tool_decisions + excluded.tool_decisions,
	rejections     = s.rejections + excluded.rejections,
	denials        = s.denials + excluded.denials,
	asks           = s.asks + excluded.asks,
	failures       = s.failures + excluded.failures,
	api_requests   = s.api_requests + excluded.api_requests,
	api_errors     = s.api_errors + excluded.api_errors`

// AppendEvents implements store.Store.
func (db *DB) AppendEvents(ctx context.Context, events []record.Event) (int, error) {
	batch, err := rows.Events(events)
	if err != nil {
		return 0, err
	}
	if len(batch) == 0 {
		return 0, nil
	}
	n := len(batch)
	var (
		id, source, kind, session, user, prompt, tool, decision, body, rule = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n)
		at, seq = make([]int64, n), make([]int64, n)
	)
	for i, e := range batch {
		id[i], source[i], kind[i], at[i], seq[i] = e.ID, e.Source, e.Kind, e.TimeNS, e.Seq
		session[i], user[i], prompt[i], tool[i], decision[i] = e.SessionID, e.UserID, e.PromptID, e.Tool, e.Decision
		body[i], rule[i] = string(e.Body), e.RuleID
	}
	var inserted []rows.Event
	err = db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		inserted, err = insertNew(ctx, tx, batch, func(e rows.Event) string { return e.ID },
			insertEvents, id, source, kind, at, seq, session, user, prompt, tool, decision, body, rule)
		if err != nil {
			return err
		}
		if err := addLinks(ctx, tx, inserted); err != nil {
			return err
		}
		sessions := rows.SessionsOfEvents(inserted)
		if err := addSessions(ctx, tx, sessions); err != nil {
			return err
		}
		days, denials := rows.EventRollups(inserted)
		return addDayRollups(ctx, tx, rows.Shard(batch[0].ID), days, denials, sessions)
	})
	if err != nil {
		return 0, fmt.Errorf("append %d events: %w", len(batch), err)
	}
	return len(inserted), nil
}

// insertNew runs query, an INSERT ... ON CONFLICT (id) DO NOTHING
// RETURNING id over the batch's columns, and returns the rows of batch it
// inserted: the others were already stored.
func insertNew[T any](ctx context.Context, tx pgx.Tx, batch []T, idOf func(T) string, query string, args ...any) ([]T, error) {
	rs, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	newIDs, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(batch))
	for i, r := range batch {
		byID[idOf(r)] = i
	}
	inserted := make([]T, 0, len(newIDs))
	for _, id := range newIDs {
		inserted = append(inserted, batch[byID[id]])
	}
	return inserted, nil
}

func addSessions(ctx context.Context, tx pgx.Tx, sessions []rows.Session) error {
	if len(sessions) == 0 {
		return nil
	}
	n := len(sessions)
	strs := make([][]string, 5)
	nums := make([][]int64, 11)
	for i := range strs {
		strs[i] = make([]string, n)
	}
	for i := range nums {
		nums[i] = make([]int64, n)
	}
	for i, s := range sessions {
		c := s.Counts
		for j, v := range []string{s.SessionID, s.UserID, s.Host, s.Repository, s.Branch} {
			strs[j][i] = v
		}
		for j, v := range []int64{s.FirstNS, s.LastNS, c.Events, c.HookEvents, c.ToolDecisions, c.Rejections,
			c.Denials, c.Asks, c.Failures, c.APIRequests, c.APIErrors} {
			nums[j][i] = v
		}
	}
	later, tier, team := make([]int64, n), make([]string, n), make([]string, n)
	for i, s := range sessions {
		later[i], tier[i], team[i] = s.LaterFirstNS, s.Tier, s.Team
	}
	args := make([]any, 0, 19)
	for _, s := range strs {
		args = append(args, s)
	}
	for _, v := range nums {
		args = append(args, v)
	}
	args = append(args, later, tier, team)
	_, err := tx.Exec(ctx, upsertSessions, args...)
	return err
}

// SessionEvents implements store.Store.
func (db *DB) SessionEvents(ctx context.Context, sessionID string) ([]record.Event, error) {
	if err := store.ValidateSessionID(sessionID); err != nil {
		return nil, err
	}
	var events []record.Event
	err := db.read(ctx, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, `SELECT body, ord FROM events WHERE session_id = $1
			ORDER BY time_ns, sequence, ord`, sessionID)
		if err != nil {
			return err
		}
		events, err = pgx.CollectRows(rs, func(row pgx.CollectableRow) (record.Event, error) {
			var (
				body []byte
				ord  int64
			)
			if err := row.Scan(&body, &ord); err != nil {
				return record.Event{}, err
			}
			e, err := rows.DecodeEvent(body)
			e.Arrival = ord
			return e, err
		})
		if err != nil || len(events) > 0 {
			return err
		}
		var known bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE session_id = $1)`, sessionID).Scan(&known); err != nil {
			return err
		}
		if !known {
			return store.Errorf(store.ENotFound, "session %q not found", sessionID)
		}
		return nil
	})
	if err != nil {
		if store.ErrorCode(err) == store.ENotFound {
			return nil, err
		}
		return nil, fmt.Errorf("session %s events: %w", sessionID, err)
	}
	if events == nil {
		events = []record.Event{}
	}
	return events, nil
}
