-- Events: OTLP log records and hook audit events. ord is arrival order, the
-- last tie-breaker of a run record; body is the whole record.Event as JSON.
CREATE TABLE events (
	ord        INTEGER PRIMARY KEY,
	id         TEXT    NOT NULL UNIQUE,
	source     TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	time_ns    INTEGER NOT NULL,
	sequence   INTEGER NOT NULL DEFAULT 0,
	session_id TEXT    NOT NULL DEFAULT '',
	user_id    TEXT    NOT NULL DEFAULT '',
	prompt_id  TEXT    NOT NULL DEFAULT '',
	tool       TEXT    NOT NULL DEFAULT '',
	decision   TEXT    NOT NULL DEFAULT '',
	body       BLOB    NOT NULL
);
CREATE INDEX events_session ON events (session_id, time_ns, sequence);

-- Metric points (delta temporality); kind is record.RollupKind, '' when no
-- rollup counts the point.
CREATE TABLE metric_points (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	unit       TEXT    NOT NULL DEFAULT '',
	session_id TEXT    NOT NULL DEFAULT '',
	user_id    TEXT    NOT NULL DEFAULT '',
	kind       TEXT    NOT NULL DEFAULT '',
	attrs      TEXT    NOT NULL,
	value      REAL    NOT NULL,
	start_ns   INTEGER,
	time_ns    INTEGER NOT NULL
);
CREATE INDEX metric_points_session ON metric_points (session_id, kind);
CREATE INDEX metric_points_time ON metric_points (time_ns);

-- One summary row per session, kept up to date by every append in the same
-- transaction.
CREATE TABLE sessions (
	session_id     TEXT    PRIMARY KEY,
	user_id        TEXT    NOT NULL DEFAULT '',
	host           TEXT    NOT NULL DEFAULT '',
	repository     TEXT    NOT NULL DEFAULT '',
	branch         TEXT    NOT NULL DEFAULT '',
	first_ns       INTEGER NOT NULL,
	last_ns        INTEGER NOT NULL,
	events         INTEGER NOT NULL DEFAULT 0,
	hook_events    INTEGER NOT NULL DEFAULT 0,
	tool_decisions INTEGER NOT NULL DEFAULT 0,
	rejections     INTEGER NOT NULL DEFAULT 0,
	denials        INTEGER NOT NULL DEFAULT 0,
	asks           INTEGER NOT NULL DEFAULT 0,
	failures       INTEGER NOT NULL DEFAULT 0,
	api_requests   INTEGER NOT NULL DEFAULT 0,
	api_errors     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_first ON sessions (first_ns, session_id);
CREATE INDEX sessions_last ON sessions (last_ns);
CREATE INDEX sessions_user ON sessions (user_id, first_ns);

CREATE TABLE quarantines (
	session_id TEXT    PRIMARY KEY,
	reason     TEXT    NOT NULL,
	by_actor   TEXT    NOT NULL,
	time_ns    INTEGER NOT NULL
);

-- API tokens: only the hash of the secret; scopes space-separated.
CREATE TABLE tokens (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	hash       TEXT    NOT NULL UNIQUE,
	scopes     TEXT    NOT NULL,
	created_ns INTEGER NOT NULL,
	revoked_ns INTEGER
);

CREATE TABLE policies (
	version    INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT    NOT NULL,
	sha256     TEXT    NOT NULL,
	yaml       BLOB    NOT NULL,
	created_ns INTEGER NOT NULL
);
