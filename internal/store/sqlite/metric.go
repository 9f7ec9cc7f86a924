package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// maxValueSQL is store.MaxMetricValue as an SQL literal.
const maxValueSQL = "1e15"

// clampedValue is a point's value as sums count it: within
// ±store.MaxMetricValue, which every point stored since that bound has
// been; points stored before it (1e308, say) cannot make a sum overflow
// into an infinity that no JSON answer could carry.
const clampedValue = `max(min(value, ` + maxValueSQL + `), -` + maxValueSQL + `)`

const insertMetric = `INSERT INTO metric_points
	(id, name, unit, session_id, user_id, kind, attrs, value, start_ns, time_ns)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`

// AppendMetrics implements store.Store.
func (db *DB) AppendMetrics(ctx context.Context, points []record.MetricPoint) (int, error) {
	batch, err := rows.Metrics(points)
	if err != nil {
		return 0, err
	}
	if len(batch) == 0 {
		return 0, nil
	}
	var inserted []rows.Metric
	err = db.tx(ctx, func(tx *sql.Tx) error {
		inserted = inserted[:0]
		stmt, err := tx.PrepareContext(ctx, insertMetric)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, m := range batch {
			res, err := stmt.ExecContext(ctx, m.ID, m.Name, m.Unit, m.SessionID, m.UserID, m.Kind,
				string(m.Attrs), m.Value, m.StartNS, m.TimeNS)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				inserted = append(inserted, m)
			}
		}
		if err := upsertSessions(ctx, tx.StmtContext(ctx, db.upsertSessionStmt), rows.SessionsOfMetrics(inserted)); err != nil {
			return err
		}
		return db.addDayRollups(ctx, tx, rows.MetricRollups(inserted), nil, nil)
	})
	if err != nil {
		return 0, fmt.Errorf("append %d metric points: %w", len(batch), err)
	}
	return len(inserted), nil
}

// UserRollups implements store.Store.
func (db *DB) UserRollups(ctx context.Context, f store.RollupFilter) ([]record.UserRollup, error) {
	lo, hi := rows.Bounds(f.Since, f.Until)
	q := `SELECT user_id, kind, sum(` + clampedValue + `) FROM metric_points
		WHERE kind <> '' AND time_ns >= ? AND time_ns < ?`
	args := []any{lo, hi}
	if f.UserID != "" {
		q += ` AND user_id = ?`
		args = append(args, f.UserID)
	}
	q += ` GROUP BY user_id, kind ORDER BY user_id`
	rs, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("user rollups: %w", err)
	}
	defer rs.Close()
	out := []record.UserRollup{}
	for rs.Next() {
		var user, kind string
		var v float64
		if err := rs.Scan(&user, &kind, &v); err != nil {
			return nil, fmt.Errorf("user rollups: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].UserID != user {
			out = append(out, record.UserRollup{UserID: user})
		}
		out[len(out)-1].Rollup.Add(kind, v)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("user rollups: %w", err)
	}
	return out, nil
}

// sessionRollups sums the metric points of the given sessions.
func sessionRollups(ctx context.Context, tx *sql.Tx, ids []string) (map[string]record.Rollup, error) {
	out := make(map[string]record.Rollup, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rs, err := tx.QueryContext(ctx, `SELECT session_id, kind, sum(`+clampedValue+`) FROM metric_points
		WHERE kind <> '' AND session_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)
		GROUP BY session_id, kind`, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var id, kind string
		var v float64
		if err := rs.Scan(&id, &kind, &v); err != nil {
			return nil, err
		}
		r := out[id]
		r.Add(kind, v)
		out[id] = r
	}
	return out, rs.Err()
}
