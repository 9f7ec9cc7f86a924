package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// PutScan implements store.Store.
func (db *DB) PutScan(ctx context.Context, s record.DeviceScan) (*record.DeviceScan, error) {
	if err := store.ValidateScan(&s); err != nil {
		return nil, err
	}
	body, err := store.MarshalScan(&s)
	if err != nil {
		return nil, err
	}
	s.ReceivedAt = db.now().UTC()
	s.Verified = s.DeviceID != ""
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scans (reporter, device_id, host, repository, received_ns, body)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (reporter, host, repository) DO UPDATE SET
				device_id = excluded.device_id, received_ns = excluded.received_ns, body = excluded.body`,
			s.Reporter, s.DeviceID, s.Report.Host, s.Report.Repository, s.ReceivedAt.UnixNano(), string(body)); err != nil {
			return err
		}
		// The reporter's scans beyond the newest MaxScansPerReporter go.
		_, err := tx.ExecContext(ctx, `DELETE FROM scans WHERE reporter = ? AND rowid NOT IN (
			SELECT rowid FROM scans WHERE reporter = ? ORDER BY received_ns DESC, host, repository LIMIT ?)`,
			s.Reporter, s.Reporter, store.MaxScansPerReporter)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("put scan of %s: %w", s.Reporter, err)
	}
	return &s, nil
}

// ListScans implements store.Store.
func (db *DB) ListScans(ctx context.Context, f store.ScanFilter) ([]record.DeviceScan, error) {
	q := `SELECT reporter, device_id, received_ns, body FROM scans WHERE 1 = 1`
	var args []any
	if f.DeviceID != "" {
		q += ` AND device_id = ?`
		args = append(args, f.DeviceID)
	}
	if f.Reporter != "" {
		q += ` AND reporter = ?`
		args = append(args, f.Reporter)
	}
	q += ` ORDER BY received_ns DESC, reporter, host, repository LIMIT ?`
	args = append(args, store.ScanLimit(f.Limit))
	rs, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	defer rs.Close()
	out := []record.DeviceScan{}
	for rs.Next() {
		var s record.DeviceScan
		var ns int64
		var body string
		if err := rs.Scan(&s.Reporter, &s.DeviceID, &ns, &body); err != nil {
			return nil, fmt.Errorf("list scans: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &s.Report); err != nil {
			return nil, fmt.Errorf("list scans: decode scan of %s: %w", s.Reporter, err)
		}
		s.ReceivedAt, s.Verified = rows.Time(ns), s.DeviceID != ""
		out = append(out, s)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	return out, nil
}

// DeviceActivity implements store.Store.
func (db *DB) DeviceActivity(ctx context.Context) (map[string]record.DeviceActivity, error) {
	out := map[string]record.DeviceActivity{}
	rs, err := db.r.QueryContext(ctx, `SELECT device_id,
		sum(CASE WHEN status = '' THEN 1 ELSE 0 END), sum(CASE WHEN status <> '' THEN 1 ELSE 0 END)
		FROM audit_chain GROUP BY device_id`)
	if err != nil {
		return nil, fmt.Errorf("device activity: %w", err)
	}
	for rs.Next() {
		var a record.DeviceActivity
		if err := rs.Scan(&a.DeviceID, &a.Verified, &a.Unverified); err != nil {
			rs.Close()
			return nil, fmt.Errorf("device activity: %w", err)
		}
		out[a.DeviceID] = a
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("device activity: %w", err)
	}
	crs, err := db.r.QueryContext(ctx, `SELECT device_id, agent, seen_ns FROM device_contacts`)
	if err != nil {
		return nil, fmt.Errorf("device activity: %w", err)
	}
	for crs.Next() {
		var id, agent string
		var ns int64
		if err := crs.Scan(&id, &agent, &ns); err != nil {
			crs.Close()
			return nil, fmt.Errorf("device activity: %w", err)
		}
		a := out[id]
		a.DeviceID, a.Version, a.LastContact = id, agent, rows.Time(ns)
		out[id] = a
	}
	crs.Close()
	if err := crs.Err(); err != nil {
		return nil, fmt.Errorf("device activity: %w", err)
	}
	// The latest stored event of each device: its last chain link whose
	// event retention has not deleted.
	for id, a := range out {
		var body []byte
		err := db.r.QueryRowContext(ctx, `SELECT e.body FROM audit_chain c JOIN events e ON e.id = c.event_id
			WHERE c.device_id = ? ORDER BY c.seq DESC, e.time_ns DESC LIMIT 1`, id).Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("device activity of %s: %w", id, err)
		}
		e, err := rows.DecodeEvent(body)
		if err != nil {
			return nil, fmt.Errorf("device activity of %s: %w", id, err)
		}
		store.FillActivity(&a, &e)
		out[id] = a
	}
	return out, nil
}

// NoteDeviceContact implements store.Store.
func (db *DB) NoteDeviceContact(ctx context.Context, deviceID, version string) error {
	if !record.ValidDeviceID(deviceID) || !store.ValidVersion(version) {
		return store.Errorf(store.EInvalid, "device contact: invalid device ID or version")
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO device_contacts (device_id, agent, seen_ns) VALUES (?, ?, ?)
			ON CONFLICT (device_id) DO UPDATE SET agent = excluded.agent, seen_ns = max(seen_ns, excluded.seen_ns)`,
			deviceID, version, db.now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("note contact of %s: %w", deviceID, err)
	}
	return nil
}
