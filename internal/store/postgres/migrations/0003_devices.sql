-- Enrolled devices (warden enroll): the Ed25519 public key their hooks sign
-- audit with and the hash of the credential their shippers send.
CREATE TABLE devices (
	id              text COLLATE "C" PRIMARY KEY,
	name            text   NOT NULL,
	public_key      bytea  NOT NULL,
	credential_hash text   NOT NULL UNIQUE,
	enrolled_with   text   NOT NULL DEFAULT '',
	enrolled_ns     bigint NOT NULL,
	revoked_ns      bigint
);

-- Each signed audit event's place in its device's chain, written in the
-- transaction that stores the event: what ingest checks the next event's
-- seq and prev against. status is the event's verification reason, '' when
-- verified. Rows hold no personal data and outlive retention, so a device
-- that is quiet past it still continues its chain.
CREATE TABLE audit_chain (
	event_id  text COLLATE "C" PRIMARY KEY,
	device_id text   NOT NULL,
	seq       bigint NOT NULL,
	hash      text   NOT NULL,
	prev      text   NOT NULL DEFAULT '',
	status    text   NOT NULL DEFAULT ''
);
CREATE INDEX audit_chain_device ON audit_chain (device_id, seq);
