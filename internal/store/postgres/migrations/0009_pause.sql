-- Pauses (issue 15): an administrator's signed, audited stop of Warden's
-- decisions for a tier.
--
-- policy_overlays.until_ns is when a pause overlay ends (0 for the other
-- kinds). policy_overlay_log records every overlay added or removed, with
-- who, when and why, in the transaction that changes policy_overlays; it is
-- never deleted from. server_keys holds the server's signing secrets (the
-- pause signing key's seed), created once and shared by every replica.
ALTER TABLE policy_overlays ADD COLUMN until_ns bigint NOT NULL DEFAULT 0;

CREATE TABLE policy_overlay_log (
	id         bigserial PRIMARY KEY,
	overlay_id bigint NOT NULL,
	action     text   NOT NULL,
	kind       text   NOT NULL,
	target     text   NOT NULL,
	tier       text   NOT NULL,
	until_ns   bigint NOT NULL,
	reason     text   NOT NULL,
	by_actor   text   NOT NULL,
	time_ns    bigint NOT NULL
);

CREATE TABLE server_keys (
	name       text   PRIMARY KEY,
	secret     bytea  NOT NULL,
	created_ns bigint NOT NULL
);
