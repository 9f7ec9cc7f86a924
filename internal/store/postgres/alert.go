package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// RecordAlert implements store.Store. Replicas recording the same firing
// at once serialize on the alert_hits primary key: the second waits for
// the first to commit and then finds the hit recorded. Two firings for
// the same open alert serialize on its open_key.
func (db *DB) RecordAlert(ctx context.Context, hit record.AlertHit) (store.AlertResult, error) {
	if err := store.ValidateAlertHit(&hit); err != nil {
		return store.AlertResult{}, err
	}
	var res store.AlertResult
	err := db.tx(ctx, func(tx pgx.Tx) error {
		res = store.AlertResult{}
		now := db.now().UnixNano()
		tag, err := tx.Exec(ctx, `INSERT INTO alert_hits (fingerprint, time_ns) VALUES ($1, $2) ON CONFLICT (fingerprint) DO NOTHING`, hit.Fingerprint, now)
		if err != nil {
			return err
		}
		var id int64
		if tag.RowsAffected() == 0 {
			if err := tx.QueryRow(ctx, `SELECT alert_id FROM alert_hits WHERE fingerprint = $1`, hit.Fingerprint).Scan(&id); err != nil {
				return err
			}
			res.Alert, err = readAlert(ctx, tx, id, true)
			return err
		}
		res.NewHit = true
		var inserted bool
		var nEvents int64
		err = tx.QueryRow(ctx, `INSERT INTO alerts AS a (rule, title, severity, group_by, group_value, session_id, user_id,
				device, repository, open_key, first_ns, last_ns, count, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13)
			ON CONFLICT (open_key) DO UPDATE SET count = a.count + 1,
				first_ns = least(a.first_ns, excluded.first_ns), last_ns = greatest(a.last_ns, excluded.last_ns)
			RETURNING id, xmax = 0, n_events`,
			hit.Rule, hit.Title, hit.Severity, hit.GroupBy, hit.Group, hit.SessionID, hit.UserID, hit.Device, hit.Repository,
			store.AlertOpenKey(&hit), hit.First.UnixNano(), hit.Last.UnixNano(), record.AlertOpen).Scan(&id, &inserted, &nEvents)
		if err != nil {
			return err
		}
		if inserted {
			res.NewAlert = true
			if _, err := tx.Exec(ctx, `INSERT INTO alert_history (alert_id, seq, status, by_actor, comment, time_ns) VALUES ($1, 1, $2, $3, '', $4)`,
				id, record.AlertOpen, "rule:"+hit.Rule, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE alert_hits SET alert_id = $1 WHERE fingerprint = $2`, id, hit.Fingerprint); err != nil {
			return err
		}
		added := int64(0)
		for _, ev := range hit.EventIDs {
			if nEvents+added >= record.MaxAlertEvents {
				break
			}
			tag, err := tx.Exec(ctx, `INSERT INTO alert_events (alert_id, seq, event_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, nEvents+added+1, ev)
			if err != nil {
				return err
			}
			added += tag.RowsAffected()
		}
		if added > 0 {
			if _, err := tx.Exec(ctx, `UPDATE alerts SET n_events = n_events + $1 WHERE id = $2`, added, id); err != nil {
				return err
			}
		}
		res.Alert, err = readAlert(ctx, tx, id, true)
		return err
	})
	if err != nil {
		return store.AlertResult{}, fmt.Errorf("record alert %s: %w", hit.Rule, err)
	}
	return res, nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const alertColumns = `id, rule, title, severity, group_by, group_value, session_id, user_id, device, repository, first_ns, last_ns, count, status`

func scanAlert(r pgx.Row) (*record.Alert, error) {
	var a record.Alert
	var id, first, last int64
	if err := r.Scan(&id, &a.Rule, &a.Title, &a.Severity, &a.GroupBy, &a.Group, &a.SessionID, &a.UserID, &a.Device,
		&a.Repository, &first, &last, &a.Count, &a.Status); err != nil {
		return nil, err
	}
	a.ID, a.FirstSeen, a.LastSeen = strconv.FormatInt(id, 10), rows.Time(first), rows.Time(last)
	a.EventIDs, a.History = []string{}, []record.AlertChange{}
	return &a, nil
}

func readAlert(ctx context.Context, q querier, id int64, full bool) (*record.Alert, error) {
	a, err := scanAlert(q.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	if err != nil || !full {
		return a, err
	}
	rs, err := q.Query(ctx, `SELECT event_id FROM alert_events WHERE alert_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	for rs.Next() {
		var e string
		if err := rs.Scan(&e); err != nil {
			rs.Close()
			return nil, err
		}
		a.EventIDs = append(a.EventIDs, e)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	rs, err = q.Query(ctx, `SELECT status, by_actor, comment, time_ns FROM alert_history WHERE alert_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var c record.AlertChange
		var ns int64
		if err := rs.Scan(&c.Status, &c.By, &c.Comment, &ns); err != nil {
			return nil, err
		}
		c.Time = rows.Time(ns)
		a.History = append(a.History, c)
	}
	return a, rs.Err()
}

// Alert implements store.Store.
func (db *DB) Alert(ctx context.Context, id string) (*record.Alert, error) {
	n, err := rows.AlertID(id)
	if err != nil {
		return nil, err
	}
	var a *record.Alert
	err = db.read(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = readAlert(ctx, tx, n, true)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no alert %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("alert %s: %w", id, err)
	}
	return a, nil
}

// ListAlerts implements store.Store.
func (db *DB) ListAlerts(ctx context.Context, f store.AlertFilter) (store.AlertPage, error) {
	if err := store.ValidateAlertFilter(f); err != nil {
		return store.AlertPage{}, err
	}
	before, err := rows.DecodeAlertCursor(f.Cursor)
	if err != nil {
		return store.AlertPage{}, err
	}
	where, args := []string{"id < $1"}, []any{before}
	for _, c := range []struct{ col, v string }{{"status", f.Status}, {"severity", f.Severity}, {"rule", f.Rule}, {"session_id", f.SessionID}, {"user_id", f.UserID}} {
		if c.v != "" {
			args = append(args, c.v)
			where = append(where, fmt.Sprintf("%s = $%d", c.col, len(args)))
		}
	}
	if !f.Since.IsZero() {
		lo, _ := rows.Bounds(f.Since, f.Since)
		args = append(args, lo)
		where = append(where, fmt.Sprintf("last_ns >= $%d", len(args)))
	}
	limit := store.AlertPageLimit(f)
	args = append(args, limit+1)
	page := store.AlertPage{Alerts: []record.Alert{}}
	err = db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT `+alertColumns+` FROM alerts WHERE `+strings.Join(where, " AND ")+
			fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			a, err := scanAlert(rs)
			if err != nil {
				return err
			}
			page.Alerts = append(page.Alerts, *a)
		}
		return rs.Err()
	})
	if err != nil {
		return store.AlertPage{}, fmt.Errorf("list alerts: %w", err)
	}
	if len(page.Alerts) > limit {
		page.Alerts = page.Alerts[:limit]
		last, _ := strconv.ParseInt(page.Alerts[limit-1].ID, 10, 64)
		page.Next = rows.AlertCursor(last)
	}
	return page, nil
}

// SetAlertStatus implements store.Store.
func (db *DB) SetAlertStatus(ctx context.Context, id, status, by, comment string) (*record.Alert, error) {
	if err := store.ValidateAlertStatus(id, status, by, comment); err != nil {
		return nil, err
	}
	n, err := rows.AlertID(id)
	if err != nil {
		return nil, err
	}
	var a *record.Alert
	err = db.tx(ctx, func(tx pgx.Tx) error {
		var cur string
		if err := tx.QueryRow(ctx, `SELECT status FROM alerts WHERE id = $1 FOR UPDATE`, n).Scan(&cur); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return store.Errorf(store.ENotFound, "no alert %s", id)
			}
			return err
		}
		if cur != status {
			if !record.AlertTransition(cur, status) {
				return store.Errorf(store.EConflict, "alert %s is %s; it cannot become %s", id, cur, status)
			}
			openKey := "open_key"
			if !record.AlertOpenStatus(status) {
				openKey = "NULL"
			}
			if _, err := tx.Exec(ctx, `UPDATE alerts SET status = $1, open_key = `+openKey+` WHERE id = $2`, status, n); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO alert_history (alert_id, seq, status, by_actor, comment, time_ns)
				SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5 FROM alert_history WHERE alert_id = $1`,
				n, status, by, comment, db.now().UnixNano()); err != nil {
				return err
			}
		}
		var err error
		a, err = readAlert(ctx, tx, n, true)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set status of alert %s: %w", id, err)
	}
	return a, nil
}

// AddOverlay implements store.Store.
func (db *DB) AddOverlay(ctx context.Context, o record.PolicyOverlay) (*record.PolicyOverlay, error) {
	if err := store.ValidateOverlay(&o); err != nil {
		return nil, err
	}
	o.Time = db.now().UTC()
	var id int64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO policy_overlays (kind, target, tier, until_ns, reason, by_actor, time_ns) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			o.Kind, o.Target, o.Tier, untilNS(o.Until), o.Reason, o.By, o.Time.UnixNano()).Scan(&id); err != nil {
			return err
		}
		return logOverlay(ctx, tx, id, record.OverlayAdded, o, o.By, o.Reason, o.Time)
	})
	if err != nil {
		return nil, fmt.Errorf("add overlay: %w", err)
	}
	o.ID = strconv.FormatInt(id, 10)
	o.Time = rows.Time(o.Time.UnixNano())
	if !o.Until.IsZero() {
		o.Until = rows.Time(o.Until.UnixNano())
	}
	return &o, nil
}

// untilNS is an overlay's until as stored: 0 for none.
func untilNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// untilTime reads a stored until.
func untilTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return rows.Time(ns)
}

func logOverlay(ctx context.Context, tx pgx.Tx, id int64, action string, o record.PolicyOverlay, by, reason string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO policy_overlay_log (overlay_id, action, kind, target, tier, until_ns, reason, by_actor, time_ns)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, action, o.Kind, o.Target, o.Tier, untilNS(o.Until), reason, by, at.UnixNano())
	return err
}

// ListOverlays implements store.Store.
func (db *DB) ListOverlays(ctx context.Context) ([]record.PolicyOverlay, error) {
	out := []record.PolicyOverlay{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT id, kind, target, tier, until_ns, reason, by_actor, time_ns FROM policy_overlays ORDER BY id`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var o record.PolicyOverlay
			var id, until, ns int64
			if err := rs.Scan(&id, &o.Kind, &o.Target, &o.Tier, &until, &o.Reason, &o.By, &ns); err != nil {
				return err
			}
			o.ID, o.Until, o.Time = strconv.FormatInt(id, 10), untilTime(until), rows.Time(ns)
			out = append(out, o)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list overlays: %w", err)
	}
	return out, nil
}

// RemoveOverlay implements store.Store.
func (db *DB) RemoveOverlay(ctx context.Context, id, by, reason string) (*record.PolicyOverlay, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return nil, store.Errorf(store.ENotFound, "no overlay %q", record.Truncate(id, 64))
	}
	if by == "" || len(by) > 256 {
		return nil, store.Errorf(store.EInvalid, "removing overlay %s needs who (by), at most 256 bytes", id)
	}
	if err := store.ValidateOverlayReason(reason); err != nil {
		return nil, err
	}
	var o record.PolicyOverlay
	err = db.tx(ctx, func(tx pgx.Tx) error {
		var until, ns int64
		err := tx.QueryRow(ctx, `DELETE FROM policy_overlays WHERE id = $1 RETURNING kind, target, tier, until_ns, reason, by_actor, time_ns`, n).
			Scan(&o.Kind, &o.Target, &o.Tier, &until, &o.Reason, &o.By, &ns)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.Errorf(store.ENotFound, "no overlay %s", id)
		}
		if err != nil {
			return err
		}
		o.ID, o.Until, o.Time = id, untilTime(until), rows.Time(ns)
		return logOverlay(ctx, tx, n, record.OverlayRemoved, o, by, reason, db.now().UTC())
	})
	if err != nil {
		return nil, fmt.Errorf("remove overlay %s: %w", id, err)
	}
	return &o, nil
}

// OverlayLog implements store.Store.
func (db *DB) OverlayLog(ctx context.Context, limit int) ([]record.OverlayChange, error) {
	out := []record.OverlayChange{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT id, overlay_id, action, kind, target, tier, until_ns, reason, by_actor, time_ns
			FROM policy_overlay_log ORDER BY id DESC LIMIT $1`, store.OverlayLogLimit(limit))
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var ch record.OverlayChange
			var id, oid, until, ns int64
			if err := rs.Scan(&id, &oid, &ch.Action, &ch.Kind, &ch.Target, &ch.Tier, &until, &ch.Reason, &ch.By, &ns); err != nil {
				return err
			}
			ch.ID, ch.OverlayID = strconv.FormatInt(id, 10), strconv.FormatInt(oid, 10)
			ch.Until, ch.Time = untilTime(until), rows.Time(ns)
			out = append(out, ch)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("overlay log: %w", err)
	}
	return out, nil
}

// ServerKey implements store.Store.
func (db *DB) ServerKey(ctx context.Context, name string, seed []byte) ([]byte, error) {
	if err := store.ValidateServerKey(name, seed); err != nil {
		return nil, err
	}
	var got []byte
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO server_keys (name, secret, created_ns) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
			name, seed, db.now().UnixNano()); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT secret FROM server_keys WHERE name = $1`, name).Scan(&got)
	})
	if err != nil {
		return nil, fmt.Errorf("server key %s: %w", name, err)
	}
	return got, nil
}

// AlertCounts implements store.Store.
func (db *DB) AlertCounts(ctx context.Context) ([]store.AlertCount, error) {
	out := []store.AlertCount{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT status, severity, count(*) FROM alerts GROUP BY status, severity ORDER BY status, severity`)
		if err != nil {
			return err
		}
		var n store.AlertCount
		_, err = pgx.ForEachRow(rs, []any{&n.Status, &n.Severity, &n.N}, func() error {
			out = append(out, n)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count alerts: %w", err)
	}
	return out, nil
}
