package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// Serialize writers, so two servers putting the same bundle make
		// one version.
		if _, err := tx.Exec(ctx, `LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		cur, err := scanPolicy(tx.QueryRow(ctx, currentPolicy))
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if cur != nil && cur.Name == name && cur.SHA256 == sha256 {
			p = cur
			return nil
		}
		p, err = scanPolicy(tx.QueryRow(ctx, `INSERT INTO policies (name, sha256, yaml, created_ns) VALUES ($1, $2, $3, $4)
			RETURNING version, name, sha256, yaml, created_ns`, name, sha256, yaml, db.now().UnixNano()))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("put policy %s: %w", name, err)
	}
	return p, nil
}

// CurrentPolicy implements store.Store.
func (db *DB) CurrentPolicy(ctx context.Context) (*record.PolicyBundle, error) {
	var p *record.PolicyBundle
	err := db.conn(ctx, func(c *pgx.Conn) error {
		var err error
		p, err = scanPolicy(c.QueryRow(ctx, currentPolicy))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no policy stored")
	}
	if err != nil {
		return nil, fmt.Errorf("current policy: %w", err)
	}
	return p, nil
}

func scanPolicy(row pgx.Row) (*record.PolicyBundle, error) {
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
	out := []record.PolicyBundle{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT version, name, sha256, yaml, created_ns FROM policies ORDER BY version DESC`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var p record.PolicyBundle
			var ns int64
			if err := rs.Scan(&p.Version, &p.Name, &p.SHA256, &p.YAML, &ns); err != nil {
				return err
			}
			p.CreatedAt = rows.Time(ns)
			if p.YAML == nil {
				p.YAML = []byte{}
			}
			out = append(out, p)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	return out, nil
}
