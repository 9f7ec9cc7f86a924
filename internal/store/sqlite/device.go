package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

const insertLink = `INSERT INTO audit_chain (event_id, device_id, seq, hash, prev, status)
	VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`

// linkChunk is how many chain links one statement inserts: a statement
// per link cost about as much as the event's own insert.
const linkChunk = 64

// insertLinksChunk is insertLink for linkChunk rows.
var insertLinksChunk = `INSERT INTO audit_chain (event_id, device_id, seq, hash, prev, status) VALUES ` +
	strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", linkChunk), ", ") + ` ON CONFLICT (event_id) DO NOTHING`

// insertLinks stores the chain links of the events a batch inserted:
// full chunks through chunk (insertLinksChunk prepared), the rest through
// one (insertLink prepared).
func insertLinks(ctx context.Context, chunk, one *sql.Stmt, inserted []rows.Event) error {
	args := make([]any, 0, 6*linkChunk)
	var pending []*record.ChainLink
	for _, e := range inserted {
		if e.Link != nil {
			pending = append(pending, e.Link)
		}
	}
	for len(pending) >= linkChunk {
		args = args[:0]
		for _, l := range pending[:linkChunk] {
			args = append(args, l.EventID, l.DeviceID, int64(l.Seq), l.Hash, l.Prev, l.Status)
		}
		if _, err := chunk.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("chain links: %w", err)
		}
		pending = pending[linkChunk:]
	}
	for _, l := range pending {
		if _, err := one.ExecContext(ctx, l.EventID, l.DeviceID, int64(l.Seq), l.Hash, l.Prev, l.Status); err != nil {
			return fmt.Errorf("chain link of %s: %w", l.EventID, err)
		}
	}
	return nil
}

// EnrollDevice implements store.Store.
func (db *DB) EnrollDevice(ctx context.Context, tokenHash string, d record.Device) (*record.Device, error) {
	if err := store.ValidateDevice(&d); err != nil {
		return nil, err
	}
	d.EnrolledAt = d.EnrolledAt.UTC()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var (
			id, scopes string
		)
		err := tx.QueryRowContext(ctx, `SELECT id, scopes FROM tokens WHERE hash = ? AND revoked_ns IS NULL`, tokenHash).Scan(&id, &scopes)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !slices.Contains(rows.ParseScopes(scopes), record.ScopeEnroll) {
			return store.Errorf(store.ENotFound, "no live enroll token has this hash (used, revoked or unknown)")
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM devices WHERE id = ? OR credential_hash = ?`, d.ID, d.CredentialHash).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Errorf(store.EConflict, "device %q or its credential exists", d.ID)
		}
		// Consumed in the transaction that enrolls: the write lock makes
		// a second enrollment with the token find it revoked.
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_ns = ? WHERE id = ? AND revoked_ns IS NULL`, db.now().UnixNano(), id)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k != 1 {
			return store.Errorf(store.ENotFound, "enroll token already used")
		}
		d.EnrolledWith = id
		_, err = tx.ExecContext(ctx, `INSERT INTO devices (id, name, public_key, credential_hash, enrolled_with, enrolled_ns)
			VALUES (?, ?, ?, ?, ?, ?)`, d.ID, d.Name, []byte(d.PublicKey), d.CredentialHash, d.EnrolledWith, d.EnrolledAt.UnixNano())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enroll device %s: %w", d.ID, err)
	}
	d.RevokedAt = time.Time{}
	return &d, nil
}

const deviceColumns = `id, name, public_key, credential_hash, enrolled_with, enrolled_ns, revoked_ns`

// Device implements store.Store.
func (db *DB) Device(ctx context.Context, id string) (*record.Device, error) {
	d, err := scanDevice(db.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "device %q not found", record.Truncate(id, 80))
	}
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", id, err)
	}
	return d, nil
}

// DeviceByCredential implements store.Store.
func (db *DB) DeviceByCredential(ctx context.Context, hash string) (*record.Device, error) {
	d, err := scanDevice(db.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices
		WHERE credential_hash = ? AND revoked_ns IS NULL`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no live device has this credential")
	}
	if err != nil {
		return nil, fmt.Errorf("device by credential: %w", err)
	}
	return d, nil
}

// ListDevices implements store.Store.
func (db *DB) ListDevices(ctx context.Context) ([]record.Device, error) {
	rs, err := db.r.QueryContext(ctx, `SELECT `+deviceColumns+` FROM devices ORDER BY enrolled_ns, id`)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rs.Close()
	out := []record.Device{}
	for rs.Next() {
		d, err := scanDevice(rs)
		if err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		out = append(out, *d)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return out, nil
}

// RevokeDevice implements store.Store.
func (db *DB) RevokeDevice(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE devices SET revoked_ns = coalesce(revoked_ns, ?) WHERE id = ?`,
			db.now().UnixNano(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.Errorf(store.ENotFound, "device %q not found", record.Truncate(id, 80))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke device %s: %w", id, err)
	}
	return nil
}

// ChainLinks implements store.Store.
func (db *DB) ChainLinks(ctx context.Context, deviceID string, from, to uint64) ([]record.ChainLink, error) {
	rs, err := db.r.QueryContext(ctx, `SELECT event_id, seq, hash, prev, status FROM audit_chain
		WHERE device_id = ? AND seq BETWEEN ? AND ? ORDER BY seq, event_id`, deviceID, clampSeq(from), clampSeq(to))
	if err != nil {
		return nil, fmt.Errorf("chain links of %s: %w", deviceID, err)
	}
	defer rs.Close()
	out := []record.ChainLink{}
	for rs.Next() {
		l := record.ChainLink{DeviceID: deviceID}
		var seq int64
		if err := rs.Scan(&l.EventID, &seq, &l.Hash, &l.Prev, &l.Status); err != nil {
			return nil, fmt.Errorf("chain links of %s: %w", deviceID, err)
		}
		l.Seq = uint64(seq)
		out = append(out, l)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("chain links of %s: %w", deviceID, err)
	}
	return out, nil
}

// clampSeq maps a sequence number into the column's int64.
func clampSeq(s uint64) int64 { return int64(min(s, 1<<63-1)) }

func scanDevice(row interface{ Scan(...any) error }) (*record.Device, error) {
	var d record.Device
	var key []byte
	var enrolled int64
	var revoked sql.NullInt64
	if err := row.Scan(&d.ID, &d.Name, &key, &d.CredentialHash, &d.EnrolledWith, &enrolled, &revoked); err != nil {
		return nil, err
	}
	d.PublicKey = key
	d.EnrolledAt = rows.Time(enrolled)
	if revoked.Valid {
		d.RevokedAt = rows.Time(revoked.Int64)
	}
	return &d, nil
}
