-- The latest scan report (warden scan --report) per reporter, host and
-- repository: reporter is the device ID of a device credential, else the
-- ID of the token the report came with; repository is '' for a
-- machine-only scan. body is the record.ScanReportV1 as JSON. Control
-- state, like devices: retention keeps it.
CREATE TABLE scans (
	reporter    TEXT    NOT NULL,
	device_id   TEXT    NOT NULL DEFAULT '',
	host        TEXT    NOT NULL,
	repository  TEXT    NOT NULL,
	received_ns INTEGER NOT NULL,
	body        TEXT    NOT NULL,
	PRIMARY KEY (reporter, host, repository)
);
CREATE INDEX scans_device ON scans (device_id, received_ns);
CREATE INDEX scans_received ON scans (received_ns);

-- The last contact of each enrolled device's credential (an audit post or
-- a scan report) and the Warden version its client named, for the
-- console's devices page. Written at most about once a minute per device.
CREATE TABLE device_contacts (
	device_id TEXT    PRIMARY KEY,
	agent     TEXT    NOT NULL DEFAULT '',
	seen_ns   INTEGER NOT NULL
);

-- The devices page counts each device's verified and unverified chained
-- events: covered by this index, 1M chain links take 0.1 s on SQLite
-- instead of 4-5 s reading the table.
CREATE INDEX audit_chain_status ON audit_chain (device_id, status);
