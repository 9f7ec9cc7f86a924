-- Detection alerts (internal/detect). An alert groups a rule's firings for
-- one group while it is open: open_key is rule, group_by and group while
-- the alert is open or acknowledged, NULL once it is resolved or a false
-- positive, so at most one alert per key groups new firings.
CREATE TABLE alerts (
	id          bigserial PRIMARY KEY,
	rule        text    NOT NULL,
	title       text    NOT NULL,
	severity    text    NOT NULL,
	group_by    text    NOT NULL,
	group_value text    NOT NULL,
	session_id  text    NOT NULL,
	user_id     text    NOT NULL,
	device      text    NOT NULL,
	repository  text    NOT NULL,
	open_key    text    UNIQUE,
	first_ns    bigint  NOT NULL,
	last_ns     bigint  NOT NULL,
	count       bigint  NOT NULL,
	status      text    NOT NULL,
	n_events    bigint  NOT NULL DEFAULT 0
);
CREATE INDEX alerts_status ON alerts (status, id);
CREATE INDEX alerts_rule ON alerts (rule, id);
CREATE INDEX alerts_session ON alerts (session_id, id);
CREATE INDEX alerts_user ON alerts (user_id, id);

-- One row per firing ever recorded: what makes recording idempotent (the
-- row is inserted first, alert_id set once the alert is known).
CREATE TABLE alert_hits (
	fingerprint text    PRIMARY KEY,
	alert_id    bigint  REFERENCES alerts (id),
	time_ns     bigint  NOT NULL
);

-- The events an alert matched: links to events, not copies.
CREATE TABLE alert_events (
	alert_id bigint  NOT NULL REFERENCES alerts (id),
	seq      bigint  NOT NULL,
	event_id text    NOT NULL,
	PRIMARY KEY (alert_id, event_id)
);

CREATE TABLE alert_history (
	alert_id bigint  NOT NULL REFERENCES alerts (id),
	seq      bigint  NOT NULL,
	status   text    NOT NULL,
	by_actor text    NOT NULL,
	comment  text    NOT NULL,
	time_ns  bigint  NOT NULL,
	PRIMARY KEY (alert_id, seq)
);

-- Overlays on the served policy (revoke an MCP server, move repositories
-- to a stricter tier): a response to an alert, listed and removable.
CREATE TABLE policy_overlays (
	id       bigserial PRIMARY KEY,
	kind     text   NOT NULL,
	target   text   NOT NULL,
	tier     text   NOT NULL,
	reason   text   NOT NULL,
	by_actor text   NOT NULL,
	time_ns  bigint NOT NULL
);
