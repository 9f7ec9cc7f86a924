package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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
const clampedValue = `greatest(least(value, ` + maxValueSQL + `), -` + maxValueSQL + `)`

const insertMetrics = `INSERT INTO metric_points
	(id, name, unit, session_id, user_id, kind, attrs, value, start_ns, time_ns)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::double precision[], $9::bigint[], $10::bigint[])
	ON CONFLICT (id) DO NOTHING
	RETURNING id`

// AppendMetrics implements store.Store.
func (db *DB) AppendMetrics(ctx context.Context, points []record.MetricPoint) (int, error) {
	batch, err := rows.Metrics(points)
	if err != nil {
		return 0, err
	}
	if len(batch) == 0 {
		return 0, nil
	}
	n := len(batch)
	var (
		id, name, unit, session, user, kind, attrs = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		value = make([]float64, n)
		start = make([]*int64, n)
		at    = make([]int64, n)
	)
	for i, m := range batch {
		id[i], name[i], unit[i], session[i], user[i], kind[i] = m.ID, m.Name, m.Unit, m.SessionID, m.UserID, m.Kind
		attrs[i], value[i], start[i], at[i] = string(m.Attrs), m.Value, m.StartNS, m.TimeNS
	}
	var inserted []rows.Metric
	err = db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		inserted, err = insertNew(ctx, tx, batch, func(m rows.Metric) string { return m.ID },
			insertMetrics, id, name, unit, session, user, kind, attrs, value, start, at)
		if err != nil {
			return err
		}
		if err := addSessions(ctx, tx, rows.SessionsOfMetrics(inserted)); err != nil {
			return err
		}
		return addDayRollups(ctx, tx, rows.Shard(batch[0].ID), rows.MetricRollups(inserted), nil, nil)
	})
	if err != nil {
		return 0, fmt.Errorf("append %d metric points: %w", len(batch), err)
	}
	return len(inserted), nil
}

// UserRollups implements store.Store.
func (db *DB) UserRollups(ctx context.Context, f store.RollupFilter) ([]record.UserRollup, error) {
	lo, hi := rows.Bounds(f.Since, f.Until)
	out := []record.UserRollup{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT user_id, kind, sum(`+clampedValue+`) FROM metric_points
			WHERE kind <> '' AND time_ns >= $1 AND time_ns < $2 AND ($3 = '' OR user_id = $3)
			GROUP BY user_id, kind ORDER BY user_id`, lo, hi, f.UserID)
		if err != nil {
			return err
		}
		var user, kind string
		var v float64
		_, err = pgx.ForEachRow(rs, []any{&user, &kind, &v}, func() error {
			if len(out) == 0 || out[len(out)-1].UserID != user {
				out = append(out, record.UserRollup{UserID: user})
			}
			out[len(out)-1].Rollup.Add(kind, v)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("user rollups: %w", err)
	}
	return out, nil
}

// sessionRollups sums the metric points of the given sessions.
func sessionRollups(ctx context.Context, tx pgx.Tx, ids []string) (map[string]record.Rollup, error) {
	out := make(map[string]record.Rollup, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rs, err := tx.Query(ctx, `SELECT session_id, kind, sum(`+clampedValue+`) FROM metric_points
		WHERE kind <> '' AND session_id = ANY($1) GROUP BY session_id, kind`, ids)
	if err != nil {
		return nil, err
	}
	var id, kind string
	var v float64
	_, err = pgx.ForEachRow(rs, []any{&id, &kind, &v}, func() error {
		r := out[id]
		r.Add(kind, v)
		out[id] = r
		return nil
	})
	return out, err
}
