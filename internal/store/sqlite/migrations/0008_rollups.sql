-- Per-day rollups for the console overview (issue 14, "Speed"): counters
-- that every append adds to in its own transaction, so that store.Stats
-- reads a few rows per day instead of scanning the events of its period.
-- What each metric counts, and how retention keeps them exact, is in
-- internal/store/internal/rows/rollup.go. Rows stored before this
-- migration are backfilled here, with the statements DeleteBefore runs to
-- rebuild the days it purges (rebuildRollups in rollup.go, there
-- bounded by time).
CREATE TABLE rollup_days (
	day_ns INTEGER NOT NULL,
	metric TEXT    NOT NULL,
	key    TEXT    NOT NULL,
	shard  INTEGER NOT NULL DEFAULT 0,
	n      INTEGER NOT NULL,
	value  REAL    NOT NULL DEFAULT 0,
	PRIMARY KEY (day_ns, metric, key, shard)
) WITHOUT ROWID;

-- Warden's hook denials per session and day, with the session's team and
-- repository as its summary row has them now: an append that fills a
-- session's team or repository (they go from '' to a value once) moves
-- the counts of its rows in rollup_days (block_team, block_repo) from the
-- old key to the new and updates the rows. Retention rebuilds those
-- counters from this table.
CREATE TABLE rollup_denials (
	session_id TEXT    NOT NULL,
	day_ns     INTEGER NOT NULL,
	team       TEXT    NOT NULL DEFAULT '',
	repository TEXT    NOT NULL DEFAULT '',
	n          INTEGER NOT NULL,
	PRIMARY KEY (session_id, day_ns)
) WITHOUT ROWID;
CREATE INDEX rollup_denials_day ON rollup_denials (day_ns, team, repository, n);

-- The sessions active in the overview's range with their users, from the
-- index alone (sessions_last also serves retention's last_ns < cut).
DROP INDEX sessions_last;
CREATE INDEX sessions_last ON sessions (last_ns, first_ns, user_id);

INSERT INTO rollup_days (day_ns, metric, key, shard, n, value)
SELECT (CASE WHEN time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000) END) AS day_ns,
	'decision', decision, 0, count(*), 0 FROM events
	WHERE source = 'hook' AND decision <> '' GROUP BY 1, 3
UNION ALL
SELECT (CASE WHEN time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000) END),
	'rule', rule_id, 0, count(*), 0 FROM events
	WHERE source = 'hook' AND decision IN ('deny', 'ask') AND rule_id <> '' GROUP BY 1, 3
UNION ALL
SELECT (CASE WHEN time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000) END),
	CASE kind WHEN 'tool_decision' THEN 'tool' ELSE 'hook_tool' END, tool, 0, count(*), 0 FROM events
	WHERE kind IN ('tool_decision', 'PreToolUse') AND tool <> '' GROUP BY 1, 2, 3
UNION ALL
SELECT (CASE WHEN time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000) END),
	kind, '', 0, count(*), 0 FROM events
	WHERE kind IN ('api_request', 'api_error') GROUP BY 1, 2
UNION ALL
SELECT (CASE WHEN time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000) END),
	'retry', '', 0, count(*), 0 FROM events
	WHERE kind = 'api_error' AND json_type(CAST(body AS TEXT), '$.attrs.attempt') IN ('integer', 'real')
	AND json_extract(CAST(body AS TEXT), '$.attrs.attempt') > 1 GROUP BY 1
UNION ALL
SELECT (CASE WHEN time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000) END),
	'cost', '', 0, count(*), sum(max(min(value, 1e15), -1e15)) FROM metric_points
	WHERE name = 'claude_code.cost.usage' GROUP BY 1
UNION ALL
SELECT (CASE WHEN time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000) END),
	CASE name WHEN 'claude_code.cost.usage' THEN 'model_cost' ELSE 'model_tokens' END,
	coalesce(json_extract(attrs, '$.model'), ''), 0, count(*), sum(max(min(value, 1e15), -1e15)) FROM metric_points
	WHERE name IN ('claude_code.cost.usage', 'claude_code.token.usage') GROUP BY 1, 2, 3;

INSERT INTO rollup_denials (session_id, day_ns, team, repository, n)
SELECT e.session_id, (CASE WHEN e.time_ns < -9223286400000000000 THEN -9223286400000000000
	ELSE e.time_ns - (((e.time_ns % 86400000000000) + 86400000000000) % 86400000000000) END),
	s.team, s.repository, count(*) FROM events e JOIN sessions s ON s.session_id = e.session_id
	WHERE e.source = 'hook' AND e.decision = 'deny' AND e.session_id <> '' GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_days (day_ns, metric, key, shard, n, value)
SELECT day_ns, 'block_team', team, 0, sum(n), 0 FROM rollup_denials GROUP BY 1, 3
UNION ALL
SELECT day_ns, 'block_repo', repository, 0, sum(n), 0 FROM rollup_denials GROUP BY 1, 3;
