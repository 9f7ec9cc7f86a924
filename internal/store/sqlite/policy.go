package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

const currentPolicy = `SELECT version, name, sha256, yaml, created_ns FROM policies ORDER BY version DESC LIMIT 1`

// PutPolicy implements store.Store.
func (db *DB) PutPolicy(ctx context.Context, name string, yaml []byte, sha256 string) (*record.PolicyBundle, error) {
	if err := store.ValidatePolicy(name, yaml, sha256); err != nil {
		return nil, err
	}
	sha256 = strings.ToLower(sha256)
	if yaml == nil {
		yaml = []byte{} // an empty bundle, not NULL
	}
	var p *record.PolicyBundle
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanPolicy(tx.QueryRowContext(ctx, currentPolicy))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if cur != nil && cur.Name == name && cur.SHA256 == sha256 {
			p = cur
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO policies (name, sha256, yaml, created_ns) VALUES (?, ?, ?, ?)`,
			name, sha256, yaml, db.now().UnixNano()); err != nil {
			return err
		}
		p, err = scanPolicy(tx.QueryRowContext(ctx, currentPolicy))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("put policy %s: %w", name, err)
	}
	return p, nil
}

// CurrentPolicy implements store.Store.
func (db *DB) CurrentPolicy(ctx context.Context) (*record.PolicyBundle, error) {
	p, err := scanPolicy(db.r.QueryRowContext(ctx, currentPolicy))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no policy stored")
	}
	if err != nil {
		return nil, fmt.Errorf("current policy: %w", err)
	}
	return p, nil
}

func scanPolicy(row *sql.Row) (*record.PolicyBundle, error) {
	var p record.PolicyBundle
	var ns int64
	if err := row.Scan(&p.Version, &p.Name, &p.SHA256, &p.YAML, &ns); err != nil {
		return nil, err
	}
	p.CreatedAt = rows.Time(ns)
	if p.YAML == nil {
		p.YAML = []byte{}
	}
	return &p, nil
}

// Policies implements store.Store.
func (db *DB) Policies(ctx context.Context) ([]record.PolicyBundle, error) {
	rs, err := db.r.QueryContext(ctx, `SELECT version, name, sha256, yaml, created_ns FROM policies ORDER BY version DESC`)
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	defer rs.Close()
	out := []record.PolicyBundle{}
	for rs.Next() {
		var p record.PolicyBundle
		var ns int64
		if err := rs.Scan(&p.Version, &p.Name, &p.SHA256, &p.YAML, &ns); err != nil {
			return nil, fmt.Errorf("policies: %w", err)
		}
		p.CreatedAt = rows.Time(ns)
		if p.YAML == nil {
			p.YAML = []byte{}
		}
		out = append(out, p)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	return out, nil
}
