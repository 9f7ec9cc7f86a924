-- The console (issue 14): what its overview, session filters and reviewer
-- decisions need.
--
-- events.rule_id is the hook audit's rule, for decisions per rule; sessions
-- gain the tier Warden decided under and the team named by the client's
-- OTEL_RESOURCE_ATTRIBUTES (team=...), both first seen. Rows stored before
-- this migration are backfilled from their JSON bodies.
ALTER TABLE events ADD COLUMN rule_id TEXT NOT NULL DEFAULT '';
UPDATE events SET rule_id = coalesce(json_extract(CAST(body AS TEXT), '$.audit.rule_id'), '')
	WHERE source = 'hook';
ALTER TABLE sessions ADD COLUMN tier TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN team TEXT NOT NULL DEFAULT '';
UPDATE sessions SET
	tier = coalesce((SELECT json_extract(CAST(e.body AS TEXT), '$.audit.tier') FROM events e
		WHERE e.session_id = sessions.session_id AND e.source = 'hook'
		AND coalesce(json_extract(CAST(e.body AS TEXT), '$.audit.tier'), '') <> '' ORDER BY e.ord LIMIT 1), ''),
	team = coalesce((SELECT json_extract(CAST(e.body AS TEXT), '$.resource.team') FROM events e
		WHERE e.session_id = sessions.session_id AND e.source = 'otlp'
		AND coalesce(json_extract(CAST(e.body AS TEXT), '$.resource.team'), '') <> '' ORDER BY e.ord LIMIT 1), '');

-- The overview's scans by time: hook decisions, API errors and tool calls.
CREATE INDEX events_hook_time ON events (time_ns, decision, rule_id, session_id) WHERE source = 'hook';
CREATE INDEX events_kind_time ON events (kind, time_ns, tool);
CREATE INDEX metric_points_name_time ON metric_points (name, time_ns);
-- Session filters.
CREATE INDEX sessions_repository ON sessions (repository, first_ns);
CREATE INDEX sessions_host ON sessions (host, first_ns);

-- Reviewer decisions on run records: one current decision per session,
-- replaced by the next. Control state, like quarantines: retention keeps it.
CREATE TABLE reviews (
	session_id TEXT    PRIMARY KEY,
	decision   TEXT    NOT NULL,
	comment    TEXT    NOT NULL DEFAULT '',
	reviewer   TEXT    NOT NULL,
	time_ns    INTEGER NOT NULL
);
