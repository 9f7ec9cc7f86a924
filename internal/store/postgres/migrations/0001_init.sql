-- Keys are COLLATE "C": they compare bytewise, as in SQLite, whatever the
-- database's locale, and their indexes serve ORDER BY and cursor paging.

-- Events: OTLP log records and hook audit events. ord is arrival order, the
-- last tie-breaker of a run record; body is the whole record.Event as JSON.
CREATE TABLE events (
	ord        bigint GENERATED ALWAYS AS IDENTITY,
	id         text COLLATE "C" PRIMARY KEY,
	source     text   NOT NULL,
	kind       text   NOT NULL,
	time_ns    bigint NOT NULL,
	sequence   bigint NOT NULL DEFAULT 0,
	session_id text COLLATE "C" NOT NULL DEFAULT '',
	user_id    text COLLATE "C" NOT NULL DEFAULT '',
	prompt_id  text   NOT NULL DEFAULT '',
	tool       text   NOT NULL DEFAULT '',
	decision   text   NOT NULL DEFAULT '',
	body       text   NOT NULL
);
CREATE INDEX events_session ON events (session_id, time_ns, sequence, ord);

-- Metric points (delta temporality); kind is record.RollupKind, '' when no
-- rollup counts the point.
CREATE TABLE metric_points (
	id         text COLLATE "C" PRIMARY KEY,
	name       text             NOT NULL,
	unit       text             NOT NULL DEFAULT '',
	session_id text COLLATE "C" NOT NULL DEFAULT '',
	user_id    text COLLATE "C" NOT NULL DEFAULT '',
	kind       text             NOT NULL DEFAULT '',
	attrs      text             NOT NULL,
	value      double precision NOT NULL,
	start_ns   bigint,
	time_ns    bigint           NOT NULL
);
CREATE INDEX metric_points_session ON metric_points (session_id, kind);
CREATE INDEX metric_points_time ON metric_points (time_ns);

-- One summary row per session, kept up to date by every append in the same
-- transaction.
CREATE TABLE sessions (
	session_id     text COLLATE "C" PRIMARY KEY,
	user_id        text COLLATE "C" NOT NULL DEFAULT '',
	host           text   NOT NULL DEFAULT '',
	repository     text   NOT NULL DEFAULT '',
	branch         text   NOT NULL DEFAULT '',
	first_ns       bigint NOT NULL,
	last_ns        bigint NOT NULL,
	events         bigint NOT NULL DEFAULT 0,
	hook_events    bigint NOT NULL DEFAULT 0,
	tool_decisions bigint NOT NULL DEFAULT 0,
	rejections     bigint NOT NULL DEFAULT 0,
	denials        bigint NOT NULL DEFAULT 0,
	asks           bigint NOT NULL DEFAULT 0,
	failures       bigint NOT NULL DEFAULT 0,
	api_requests   bigint NOT NULL DEFAULT 0,
	api_errors     bigint NOT NULL DEFAULT 0
);
CREATE INDEX sessions_first ON sessions (first_ns, session_id);
CREATE INDEX sessions_last ON sessions (last_ns);
CREATE INDEX sessions_user ON sessions (user_id, first_ns);

CREATE TABLE quarantines (
	session_id text COLLATE "C" PRIMARY KEY,
	reason     text   NOT NULL,
	by_actor   text   NOT NULL,
	time_ns    bigint NOT NULL
);

-- API tokens: only the hash of the secret; scopes space-separated.
CREATE TABLE tokens (
	id         text COLLATE "C" PRIMARY KEY,
	name       text   NOT NULL,
	hash       text   NOT NULL UNIQUE,
	scopes     text   NOT NULL,
	created_ns bigint NOT NULL,
	revoked_ns bigint
);

CREATE TABLE policies (
	version    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       text   NOT NULL,
	sha256     text   NOT NULL,
	yaml       bytea  NOT NULL,
	created_ns bigint NOT NULL
);
