package sqlite

import (
	"context"
	"database/sql"

	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// upsertRollup adds to one rollup_days row (shard 0: SQLite has one
// writer, so no append waits for another's row lock).
const upsertRollup = `INSERT INTO rollup_days (day_ns, metric, key, shard, n, value) VALUES (?, ?, ?, 0, ?, ?)
	ON CONFLICT (day_ns, metric, key, shard) DO UPDATE SET n = n + excluded.n, value = value + excluded.value`

// upsertDenials adds to one rollup_denials row; a new row takes the
// session's team and repository from its summary row, upserted before.
const upsertDenials = `INSERT INTO rollup_denials (session_id, day_ns, team, repository, n)
	SELECT ?1, ?2, team, repository, ?3 FROM sessions WHERE session_id = ?1
	ON CONFLICT (session_id, day_ns) DO UPDATE SET n = n + excluded.n`

// countBlocks adds a session's new denials of one day to the blocks of its
// team and repository.
const countBlocks = `INSERT INTO rollup_days (day_ns, metric, key, shard, n, value)
	SELECT * FROM (SELECT ?2, 'block_team', team, 0, ?3, 0 FROM sessions WHERE session_id = ?1
		UNION ALL SELECT ?2, 'block_repo', repository, 0, ?3, 0 FROM sessions WHERE session_id = ?1) WHERE true
	ON CONFLICT (day_ns, metric, key, shard) DO UPDATE SET n = n + excluded.n`

// moveBlocks moves the counts of a session's rollup_denials rows whose
// team or repository its summary row has since filled, from the old key
// to the new; syncDenials then updates the rows.
const moveBlocks = `INSERT INTO rollup_days (day_ns, metric, key, shard, n, value)
	SELECT * FROM (
		SELECT d.day_ns, 'block_team', d.team, 0, -d.n, 0 FROM rollup_denials d JOIN sessions s ON s.session_id = d.session_id
			WHERE d.session_id = ?1 AND d.team <> s.team
		UNION ALL SELECT d.day_ns, 'block_team', s.team, 0, d.n, 0 FROM rollup_denials d JOIN sessions s ON s.session_id = d.session_id
			WHERE d.session_id = ?1 AND d.team <> s.team
		UNION ALL SELECT d.day_ns, 'block_repo', d.repository, 0, -d.n, 0 FROM rollup_denials d JOIN sessions s ON s.session_id = d.session_id
			WHERE d.session_id = ?1 AND d.repository <> s.repository
		UNION ALL SELECT d.day_ns, 'block_repo', s.repository, 0, d.n, 0 FROM rollup_denials d JOIN sessions s ON s.session_id = d.session_id
			WHERE d.session_id = ?1 AND d.repository <> s.repository) WHERE true
	ON CONFLICT (day_ns, metric, key, shard) DO UPDATE SET n = n + excluded.n`

// syncDenials copies a session's team and repository, which an append
// may have just filled, to its rollup_denials rows that lack them.
const syncDenials = `UPDATE rollup_denials SET team = s.team, repository = s.repository
	FROM (SELECT team, repository FROM sessions WHERE session_id = ?1) AS s
	WHERE rollup_denials.session_id = ?1 AND (rollup_denials.team <> s.team OR rollup_denials.repository <> s.repository)`

// addDayRollups adds what a batch's inserted rows count to the rollups,
// through the writer's prepared statements bound to tx, after the
// batch's sessions (whose summaries are upserted) are.
func (db *DB) addDayRollups(ctx context.Context, tx *sql.Tx, days []rows.RollupRow, denials []rows.DenialRow, sessions []rows.Session) error {
	if len(days) > 0 {
		stmt := tx.StmtContext(ctx, db.upsertRollupStmt)
		for _, r := range days {
			if _, err := stmt.ExecContext(ctx, r.DayNS, r.Metric, r.Key, r.N, r.Value); err != nil {
				return err
			}
		}
	}
	// Older denials first: their counts move to the team and repository
	// the batch filled, before the batch's own count under them.
	var move, sync *sql.Stmt
	for _, s := range sessions {
		if s.Team == "" && s.Repository == "" {
			continue // the batch filled neither
		}
		if move == nil {
			move, sync = tx.StmtContext(ctx, db.moveBlocksStmt), tx.StmtContext(ctx, db.syncDenialsStmt)
		}
		if _, err := move.ExecContext(ctx, s.SessionID); err != nil {
			return err
		}
		if _, err := sync.ExecContext(ctx, s.SessionID); err != nil {
			return err
		}
	}
	if len(denials) > 0 {
		upsert, count := tx.StmtContext(ctx, db.upsertDenialsStmt), tx.StmtContext(ctx, db.countBlocksStmt)
		for _, d := range denials {
			if _, err := upsert.ExecContext(ctx, d.SessionID, d.DayNS, d.N); err != nil {
				return err
			}
			if _, err := count.ExecContext(ctx, d.SessionID, d.DayNS, d.N); err != nil {
				return err
			}
		}
	}
	return nil
}

// rebuildRollups recomputes the rollup_days rows of the days up to and
// including the one holding ?1 from the events and points stored (and the
// blocks from rollup_denials, whose purged sessions' rows go first): what
// DeleteBefore runs after a purge. Migration 0008 backfills with the same
// statements, unbounded. ?1 is the last nanosecond of the last day.
var rebuildRollups = []string{
	`DELETE FROM rollup_days WHERE day_ns <= ?1`,
	`INSERT INTO rollup_days (day_ns, metric, key, shard, n, value)
	SELECT ` + rows.DaySQL + `, 'decision', decision, 0, count(*), 0 FROM events
		WHERE source = 'hook' AND decision <> '' AND time_ns <= ?1 GROUP BY 1, 3
	UNION ALL
	SELECT ` + rows.DaySQL + `, 'rule', rule_id, 0, count(*), 0 FROM events
		WHERE source = 'hook' AND decision IN ('deny', 'ask') AND rule_id <> '' AND time_ns <= ?1 GROUP BY 1, 3
	UNION ALL
	SELECT ` + rows.DaySQL + `, CASE kind WHEN 'tool_decision' THEN 'tool' ELSE 'hook_tool' END, tool, 0, count(*), 0 FROM events
		WHERE kind IN ('tool_decision', 'PreToolUse') AND tool <> '' AND time_ns <= ?1 GROUP BY 1, 2, 3
	UNION ALL
	SELECT ` + rows.DaySQL + `, kind, '', 0, count(*), 0 FROM events
		WHERE kind IN ('api_request', 'api_error') AND time_ns <= ?1 GROUP BY 1, 2
	UNION ALL
	SELECT ` + rows.DaySQL + `, 'retry', '', 0, count(*), 0 FROM events
		WHERE kind = 'api_error' AND time_ns <= ?1
		AND json_type(CAST(body AS TEXT), '$.attrs.attempt') IN ('integer', 'real')
		AND json_extract(CAST(body AS TEXT), '$.attrs.attempt') > 1 GROUP BY 1
	UNION ALL
	SELECT ` + rows.DaySQL + `, 'cost', '', 0, count(*), sum(` + clampedValue + `) FROM metric_points
		WHERE name = 'claude_code.cost.usage' AND time_ns <= ?1 GROUP BY 1
	UNION ALL
	SELECT ` + rows.DaySQL + `, CASE name WHEN 'claude_code.cost.usage' THEN 'model_cost' ELSE 'model_tokens' END,
		coalesce(json_extract(attrs, '$.model'), ''), 0, count(*), sum(` + clampedValue + `) FROM metric_points
		WHERE name IN ('claude_code.cost.usage', 'claude_code.token.usage') AND time_ns <= ?1 GROUP BY 1, 2, 3
	UNION ALL
	SELECT day_ns, 'block_team', team, 0, sum(n), 0 FROM rollup_denials WHERE day_ns <= ?1 GROUP BY 1, 3
	UNION ALL
	SELECT day_ns, 'block_repo', repository, 0, sum(n), 0 FROM rollup_denials WHERE day_ns <= ?1 GROUP BY 1, 3`,
}
