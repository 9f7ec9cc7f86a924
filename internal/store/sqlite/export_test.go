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
