-- Pauses (issue 15): an administrator's signed, audited stop of Warden's
-- decisions for a tier.
--
-- policy_overlays.until_ns is when a pause overlay ends (0 for the other
-- kinds). policy_overlay_log records every overlay added or removed, with
-- who, when and why, in the transaction that changes policy_overlays; it is
-- never deleted from. server_keys holds the server's signing secrets (the
-- pause signing key's seed), created once and shared by every replica.
ALTER TABLE policy_overlays ADD COLUMN until_ns INTEGER NOT NULL DEFAULT 0;

CREATE TABLE policy_overlay_log (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	overlay_id INTEGER NOT NULL,
	action     TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	target     TEXT    NOT NULL,
	tier       TEXT    NOT NULL,
	until_ns   INTEGER NOT NULL,
	reason     TEXT    NOT NULL,
	by_actor   TEXT    NOT NULL,
	time_ns    INTEGER NOT NULL
);

CREATE TABLE server_keys (
	name       TEXT    PRIMARY KEY,
	secret     BLOB    NOT NULL,
	created_ns INTEGER NOT NULL
);
