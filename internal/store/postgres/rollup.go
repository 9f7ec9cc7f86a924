package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// upsertRollups adds a batch's rollup rows, unique by key and sorted (so
// concurrent appends lock rows in one order), to shard $6.
const upsertRollups = `INSERT INTO rollup_days AS r (day_ns, metric, key, shard, n, value)
	SELECT d, m, k, $6, n, v FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::double precision[]) AS u(d, m, k, n, v)
	ON CONFLICT (day_ns, metric, key, shard) DO UPDATE SET n = r.n + excluded.n, value = r.value + excluded.value`

// upsertDenials adds a batch's denials per session and day; a new row
// takes the session's team and repository from its summary row, which
// the transaction has upserted (and so locked) before.
const upsertDenials = `INSERT INTO rollup_denials AS r (session_id, day_ns, team, repository, n)
	SELECT u.sid, u.d, s.team, s.repository, u.n FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(sid, d, n)
	JOIN sessions s ON s.session_id = u.sid
	ON CONFLICT (session_id, day_ns) DO UPDATE SET n = r.n + excluded.n`

// countBlocks adds a batch's new denials to the blocks of their sessions'
// teams and repositories, in shard $4, keys sorted.
const countBlocks = `INSERT INTO rollup_days AS r (day_ns, metric, key, shard, n, value)
	SELECT day, metric, key, $4, sum(n), 0 FROM (
		SELECT u.d AS day, 'block_team' AS metric, s.team AS key, u.n FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(sid, d, n)
			JOIN sessions s ON s.session_id = u.sid
		UNION ALL SELECT u.d, 'block_repo', s.repository, u.n FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(sid, d, n)
			JOIN sessions s ON s.session_id = u.sid) AS x
	GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
	ON CONFLICT (day_ns, metric, key, shard) DO UPDATE SET n = r.n + excluded.n`

// moveBlocks moves the counts of the rollup_denials rows of sessions $1
// whose team or repository the summary row has since filled, from the old
// key to the new, in shard $2; syncDenials then updates the rows.
const moveBlocks = `INSERT INTO rollup_days AS r (day_ns, metric, key, shard, n, value)
	SELECT day, metric, key, $2, sum(n), 0 FROM (
		SELECT d.day_ns AS day, 'block_team' AS metric, d.team AS key, -d.n AS n FROM rollup_denials d
			JOIN sessions s ON s.session_id = d.session_id WHERE d.session_id = ANY($1::text[]) AND d.team <> s.team
		UNION ALL SELECT d.day_ns, 'block_team', s.team, d.n FROM rollup_denials d
			JOIN sessions s ON s.session_id = d.session_id WHERE d.session_id = ANY($1::text[]) AND d.team <> s.team
		UNION ALL SELECT d.day_ns, 'block_repo', d.repository, -d.n FROM rollup_denials d
			JOIN sessions s ON s.session_id = d.session_id WHERE d.session_id = ANY($1::text[]) AND d.repository <> s.repository
		UNION ALL SELECT d.day_ns, 'block_repo', s.repository, d.n FROM rollup_denials d
			JOIN sessions s ON s.session_id = d.session_id WHERE d.session_id = ANY($1::text[]) AND d.repository <> s.repository) AS x
	GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
	ON CONFLICT (day_ns, metric, key, shard) DO UPDATE SET n = r.n + excluded.n`

// syncDenials copies the team and repository of sessions $1, which the
// append may have just filled, to their rollup_denials rows that lack
// them.
const syncDenials = `UPDATE rollup_denials r SET team = s.team, repository = s.repository
	FROM sessions s WHERE s.session_id = r.session_id AND r.session_id = ANY($1::text[])
	AND (r.team <> s.team OR r.repository <> s.repository)`

// addDayRollups adds what a batch's inserted rows count to the rollups,
// after the batch's sessions are upserted (which locks their rows until
// commit, so one session's rollup_denials rows change in one transaction
// at a time); shard is rows.Shard of the batch.
func addDayRollups(ctx context.Context, tx pgx.Tx, shard int, days []rows.RollupRow, denials []rows.DenialRow, sessions []rows.Session) error {
	if len(days) > 0 {
		n := len(days)
		day, metric, key, count, value := make([]int64, n), make([]string, n), make([]string, n), make([]int64, n), make([]float64, n)
		for i, r := range days {
			day[i], metric[i], key[i], count[i], value[i] = r.DayNS, r.Metric, r.Key, r.N, r.Value
		}
		if _, err := tx.Exec(ctx, upsertRollups, day, metric, key, count, value, shard); err != nil {
			return err
		}
	}
	// Older denials first: their counts move to the team and repository
	// the batch filled, before the batch's own count under them.
	var filled []string
	for _, s := range sessions {
		if s.Team != "" || s.Repository != "" {
			filled = append(filled, s.SessionID)
		}
	}
	if len(filled) > 0 {
		if _, err := tx.Exec(ctx, moveBlocks, filled, shard); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, syncDenials, filled); err != nil {
			return err
		}
	}
	if len(denials) > 0 {
		n := len(denials)
		session, day, count := make([]string, n), make([]int64, n), make([]int64, n)
		for i, d := range denials {
			session[i], day[i], count[i] = d.SessionID, d.DayNS, d.N
		}
		if _, err := tx.Exec(ctx, upsertDenials, session, day, count); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, countBlocks, session, day, count, shard); err != nil {
			return err
		}
	}
	return nil
}

// rebuildRollups recomputes the rollup_days rows of the days up to and
// including the one holding $1 from the events and points stored (and the
// blocks from rollup_denials, whose purged sessions' rows go first): what
// DeleteBefore runs after a purge, into shard 0. Migration 0008 backfills
// with the same statements, unbounded. $1 is the last nanosecond of the
// last day.
var rebuildRollups = []string{
	`DELETE FROM rollup_days WHERE day_ns <= $1`,
	`INSERT INTO rollup_days (day_ns, metric, key, shard, n, value)
	SELECT ` + rows.DaySQL + `, 'decision', decision, 0, count(*), 0 FROM events
		WHERE source = 'hook' AND decision <> '' AND time_ns <= $1 GROUP BY 1, 3
	UNION ALL
	SELECT ` + rows.DaySQL + `, 'rule', rule_id, 0, count(*), 0 FROM events
		WHERE source = 'hook' AND decision IN ('deny', 'ask') AND rule_id <> '' AND time_ns <= $1 GROUP BY 1, 3
	UNION ALL
	SELECT ` + rows.DaySQL + `, CASE kind WHEN 'tool_decision' THEN 'tool' ELSE 'hook_tool' END, tool, 0, count(*), 0 FROM events
		WHERE kind IN ('tool_decision', 'PreToolUse') AND tool <> '' AND time_ns <= $1 GROUP BY 1, 2, 3
	UNION ALL
	SELECT ` + rows.DaySQL + `, kind, '', 0, count(*), 0 FROM events
		WHERE kind IN ('api_request', 'api_error') AND time_ns <= $1 GROUP BY 1, 2
	UNION ALL
	SELECT ` + rows.DaySQL + `, 'retry', '', 0, count(*), 0 FROM events
		WHERE kind = 'api_error' AND time_ns <= $1
		AND (CASE WHEN jsonb_typeof(body::jsonb -> 'attrs' -> 'attempt') = 'number'
			THEN (body::jsonb -> 'attrs' ->> 'attempt')::float8 ELSE 0 END) > 1 GROUP BY 1
	UNION ALL
	SELECT ` + rows.DaySQL + `, 'cost', '', 0, count(*), sum(` + clampedValue + `) FROM metric_points
		WHERE name = 'claude_code.cost.usage' AND time_ns <= $1 GROUP BY 1
	UNION ALL
	SELECT ` + rows.DaySQL + `, CASE name WHEN 'claude_code.cost.usage' THEN 'model_cost' ELSE 'model_tokens' END,
		coalesce(attrs::jsonb ->> 'model', ''), 0, count(*), sum(` + clampedValue + `) FROM metric_points
		WHERE name IN ('claude_code.cost.usage', 'claude_code.token.usage') AND time_ns <= $1 GROUP BY 1, 2, 3
	UNION ALL
	SELECT day_ns, 'block_team', team, 0, sum(n), 0 FROM rollup_denials WHERE day_ns <= $1 GROUP BY 1, 3
	UNION ALL
	SELECT day_ns, 'block_repo', repository, 0, sum(n), 0 FROM rollup_denials WHERE day_ns <= $1 GROUP BY 1, 3`,
}
