package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

const insertLinks = `INSERT INTO audit_chain (event_id, device_id, seq, hash, prev, status)
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[])
	ON CONFLICT (event_id) DO NOTHING`

// addLinks stores the chain links of the events a batch inserted.
func addLinks(ctx context.Context, tx pgx.Tx, inserted []rows.Event) error {
	var id, dev, hash, prev, status []string
	var seq []int64
	for _, e := range inserted {
		if l := e.Link; l != nil {
			id, dev, hash, prev, status = append(id, l.EventID), append(dev, l.DeviceID), append(hash, l.Hash),
				append(prev, l.Prev), append(status, l.Status)
			seq = append(seq, clampSeq(l.Seq))
		}
	}
	if len(id) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, insertLinks, id, dev, seq, hash, prev, status); err != nil {
		return fmt.Errorf("chain links: %w", err)
	}
	return nil
}

// EnrollDevice implements store.Store.
func (db *DB) EnrollDevice(ctx context.Context, tokenHash string, d record.Device) (*record.Device, error) {
	if err := store.ValidateDevice(&d); err != nil {
		return nil, err
	}
	d.EnrolledAt = d.EnrolledAt.UTC()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var id, scopes string
		// FOR UPDATE: a racing enrollment waits here, then finds the
		// token consumed.
		err := tx.QueryRow(ctx, `SELECT id, scopes FROM tokens WHERE hash = $1 AND revoked_ns IS NULL FOR UPDATE`, tokenHash).Scan(&id, &scopes)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && !slices.Contains(rows.ParseScopes(scopes), record.ScopeEnroll) {
			return store.Errorf(store.ENotFound, "no live enroll token has this hash (used, revoked or unknown)")
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM devices WHERE id = $1 OR credential_hash = $2`, d.ID, d.CredentialHash).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Errorf(store.EConflict, "device %q or its credential exists", d.ID)
		}
		tag, err := tx.Exec(ctx, `UPDATE tokens SET revoked_ns = $1 WHERE id = $2 AND revoked_ns IS NULL`, db.now().UnixNano(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return store.Errorf(store.ENotFound, "enroll token already used")
		}
		d.EnrolledWith = id
		_, err = tx.Exec(ctx, `INSERT INTO devices (id, name, public_key, credential_hash, enrolled_with, enrolled_ns)
			VALUES ($1, $2, $3, $4, $5, $6)`, d.ID, d.Name, []byte(d.PublicKey), d.CredentialHash, d.EnrolledWith, d.EnrolledAt.UnixNano())
		return err
	})
	if isUniqueViolation(err) {
		return nil, store.Errorf(store.EConflict, "device %q or its credential exists", d.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("enroll device %s: %w", d.ID, err)
	}
	d.RevokedAt = time.Time{}
	return &d, nil
}

const deviceColumns = `id, name, public_key, credential_hash, enrolled_with, enrolled_ns, revoked_ns`

// Device implements store.Store.
func (db *DB) Device(ctx context.Context, id string) (*record.Device, error) {
	var d *record.Device
	err := db.conn(ctx, func(c *pgx.Conn) error {
		var err error
		d, err = scanDevice(c.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = $1`, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "device %q not found", record.Truncate(id, 80))
	}
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", id, err)
	}
	return d, nil
}

// DeviceByCredential implements store.Store.
func (db *DB) DeviceByCredential(ctx context.Context, hash string) (*record.Device, error) {
	var d *record.Device
	err := db.conn(ctx, func(c *pgx.Conn) error {
		var err error
		d, err = scanDevice(c.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices
			WHERE credential_hash = $1 AND revoked_ns IS NULL`, hash))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no live device has this credential")
	}
	if err != nil {
		return nil, fmt.Errorf("device by credential: %w", err)
	}
	return d, nil
}

// ListDevices implements store.Store.
func (db *DB) ListDevices(ctx context.Context) ([]record.Device, error) {
	out := []record.Device{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT `+deviceColumns+` FROM devices ORDER BY enrolled_ns, id`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			d, err := scanDevice(rs)
			if err != nil {
				return err
			}
			out = append(out, *d)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return out, nil
}

// RevokeDevice implements store.Store.
func (db *DB) RevokeDevice(ctx context.Context, id string) error {
	err := db.conn(ctx, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE devices SET revoked_ns = coalesce(revoked_ns, $1) WHERE id = $2`, db.now().UnixNano(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
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
	out := []record.ChainLink{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT event_id, seq, hash, prev, status FROM audit_chain
			WHERE device_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq, event_id`, deviceID, clampSeq(from), clampSeq(to))
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			l := record.ChainLink{DeviceID: deviceID}
			var seq int64
			if err := rs.Scan(&l.EventID, &seq, &l.Hash, &l.Prev, &l.Status); err != nil {
				return err
			}
			l.Seq = uint64(seq)
			out = append(out, l)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("chain links of %s: %w", deviceID, err)
	}
	return out, nil
}

// clampSeq maps a sequence number into the column's bigint.
func clampSeq(s uint64) int64 { return int64(min(s, 1<<63-1)) }

func scanDevice(row interface{ Scan(...any) error }) (*record.Device, error) {
	var d record.Device
	var key []byte
	var enrolled int64
	var revoked *int64
	if err := row.Scan(&d.ID, &d.Name, &key, &d.CredentialHash, &d.EnrolledWith, &enrolled, &revoked); err != nil {
		return nil, err
	}
	d.PublicKey = key
	d.EnrolledAt = rows.Time(enrolled)
	if revoked != nil {
		d.RevokedAt = rows.Time(*revoked)
	}
	return &d, nil
}
