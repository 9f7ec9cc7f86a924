package sqlite

import "context"

// SetMetricValue overwrites a stored point's value without validation, as
// a point stored before store.MaxMetricValue would have it.
func SetMetricValue(db *DB, id string, v float64) error {
	_, err := db.w.ExecContext(context.Background(), `UPDATE metric_points SET value = ? WHERE id = ?`, v, id)
	return err
}

// SetReadOnly makes the writer connection refuse writes, as a database
// file that cannot be written does, while it still answers.
func SetReadOnly(db *DB) error {
	_, err := db.w.ExecContext(context.Background(), `PRAGMA query_only = 1`)
	return err
}

// UndoRollups takes the database back to before migration 0008: no
// rollup tables, the indexes it replaced, and the migration not recorded
// as applied.
func UndoRollups(db *DB) error {
	for _, q := range []string{
		`DROP TABLE rollup_days`,
		`DROP TABLE rollup_denials`,
		`DROP INDEX sessions_last`,
		`CREATE INDEX sessions_last ON sessions (last_ns)`,
		`DELETE FROM schema_migrations WHERE version = 8`,
	} {
		if _, err := db.w.ExecContext(context.Background(), q); err != nil {
			return err
		}
	}
	return nil
}

// QueryPlan returns SQLite's plan for q with args, one line per step.
func QueryPlan(db *DB, q string, args ...any) (string, error) {
	rs, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return "", err
	}
	defer rs.Close()
	var out string
	for rs.Next() {
		var id, parent, notused int
		var detail string
		if err := rs.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		out += detail + "\n"
	}
	return out, rs.Err()
}

// StatsQueries are the SQL Stats runs.
var StatsQueries = statsQueries
