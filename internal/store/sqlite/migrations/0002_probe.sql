-- The readiness probe's row: /readyz writes it to check that the database
-- accepts writes, not only that it answers.
CREATE TABLE probe (
	id      INTEGER PRIMARY KEY,
	time_ns INTEGER NOT NULL
);
