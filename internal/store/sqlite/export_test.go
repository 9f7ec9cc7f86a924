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
// rollup tables, and the migration not recorded as applied.
func UndoRollups(db *DB) error {
	for _, q := range []string{
		`DROP TABLE rollup_days`,
		`DROP TABLE rollup_denials`,
		`DELETE FROM schema_migrations WHERE version = 8`,
	} {
		if _, err := db.w.ExecContext(context.Background(), q); err != nil {
			return err
		}
	}
	return nil
}
