-- Detection alerts (internal/detect). An alert groups a rule's firings for
-- one group while it is open: open_key is rule, group_by and group while
-- the alert is open or acknowledged, NULL once it is resolved or a false
-- positive, so at most one alert per key groups new firings.
CREATE TABLE alerts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	rule        TEXT    NOT NULL,
	title       TEXT    NOT NULL,
	severity    TEXT    NOT NULL,
	group_by    TEXT    NOT NULL,
	group_value TEXT    NOT NULL,
	session_id  TEXT    NOT NULL,
	user_id     TEXT    NOT NULL,
	device      TEXT    NOT NULL,
	repository  TEXT    NOT NULL,
	open_key    TEXT    UNIQUE,
	first_ns    INTEGER NOT NULL,
	last_ns     INTEGER NOT NULL,
	count       INTEGER NOT NULL,
	status      TEXT    NOT NULL,
	n_events    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_status ON alerts (status, id);
CREATE INDEX alerts_rule ON alerts (rule, id);
CREATE INDEX alerts_session ON alerts (session_id, id);
CREATE INDEX alerts_user ON alerts (user_id, id);

-- One row per firing ever recorded: what makes recording idempotent (the
-- row is inserted first, alert_id set once the alert is known).
CREATE TABLE alert_hits (
	fingerprint TEXT    PRIMARY KEY,
	alert_id    INTEGER REFERENCES alerts (id),
	time_ns     INTEGER NOT NULL
);

-- The events an alert matched: links to events, not copies.
CREATE TABLE alert_events (
	alert_id INTEGER NOT NULL REFERENCES alerts (id),
	seq      INTEGER NOT NULL,
	event_id TEXT    NOT NULL,
	PRIMARY KEY (alert_id, event_id)
);

CREATE TABLE alert_history (
	alert_id INTEGER NOT NULL REFERENCES alerts (id),
	seq      INTEGER NOT NULL,
	status   TEXT    NOT NULL,
	by_actor TEXT    NOT NULL,
	comment  TEXT    NOT NULL,
	time_ns  INTEGER NOT NULL,
	PRIMARY KEY (alert_id, seq)
);

-- Overlays on the served policy (revoke an MCP server, move repositories
-- to a stricter tier): a response to an alert, listed and removable.
CREATE TABLE policy_overlays (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	kind     TEXT    NOT NULL,
	target   TEXT    NOT NULL,
	tier     TEXT    NOT NULL,
	reason   TEXT    NOT NULL,
	by_actor TEXT    NOT NULL,
	time_ns  INTEGER NOT NULL
);
