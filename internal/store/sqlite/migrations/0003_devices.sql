-- Enrolled devices (warden enroll): the Ed25519 public key their hooks sign
-- audit with and the hash of the credential their shippers send.
CREATE TABLE devices (
	id              TEXT    PRIMARY KEY,
	name            TEXT    NOT NULL,
	public_key      BLOB    NOT NULL,
	credential_hash TEXT    NOT NULL UNIQUE,
	enrolled_with   TEXT    NOT NULL DEFAULT '',
	enrolled_ns     INTEGER NOT NULL,
	revoked_ns      INTEGER
);

-- Each signed audit event's place in its device's chain, written in the
-- transaction that stores the event: what ingest checks the next event's
-- seq and prev against. status is the event's verification reason, '' when
-- verified. Rows hold no personal data and outlive retention, so a device
-- that is quiet past it still continues its chain.
CREATE TABLE audit_chain (
	event_id  TEXT    PRIMARY KEY,
	device_id TEXT    NOT NULL,
	seq       INTEGER NOT NULL,
	hash      TEXT    NOT NULL,
	prev      TEXT    NOT NULL DEFAULT '',
	status    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_chain_device ON audit_chain (device_id, seq);
