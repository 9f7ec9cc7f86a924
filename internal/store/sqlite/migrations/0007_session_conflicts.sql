-- Evidence conflicts per session (issue 14, the console's "has conflicts"
-- filter). The store cannot tell a conflict itself: the server builds a
-- session's run record after its events are stored and records how many
-- conflicts it found (store.SetSessionConflicts). Sessions stored before
-- this migration count none until their next event arrives.
ALTER TABLE sessions ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;
