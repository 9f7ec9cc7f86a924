package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// CreateToken implements store.Store.
func (db *DB) CreateToken(ctx context.Context, t record.Token) error {
	if err := store.ValidateToken(&t); err != nil {
		return err
	}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO tokens (id, name, hash, scopes, created_ns) VALUES ($1, $2, $3, $4, $5)`,
			t.ID, t.Name, t.Hash, rows.Scopes(t.Scopes), t.CreatedAt.UnixNano())
		return err
	})
	if isUniqueViolation(err) {
		return store.Errorf(store.EConflict, "token %q or its hash exists", t.ID)
	}
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.ID, err)
	}
	return nil
}

const tokenColumns = `id, name, hash, scopes, created_ns, revoked_ns`

// TokenByHash implements store.Store.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*record.Token, error) {
	var t *record.Token
	err := db.conn(ctx, func(c *pgx.Conn) error {
		var err error
		t, err = scanToken(c.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1 AND revoked_ns IS NULL`, hash))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no live token has this hash")
	}
	if err != nil {
		return nil, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}

// RevokeToken implements store.Store.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	err := db.conn(ctx, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE tokens SET revoked_ns = coalesce(revoked_ns, $1) WHERE id = $2`, db.now().UnixNano(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.Errorf(store.ENotFound, "token %q not found", id)
		}
		return nil
	})
	if err != nil && store.ErrorCode(err) != store.ENotFound {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return err
}

// ListTokens implements store.Store.
func (db *DB) ListTokens(ctx context.Context) ([]record.Token, error) {
	out := []record.Token{}
	err := db.conn(ctx, func(c *pgx.Conn) error {
		rs, err := c.Query(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY created_ns, id`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			t, err := scanToken(rs)
			if err != nil {
				return err
			}
			out = append(out, *t)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

func scanToken(row pgx.Row) (*record.Token, error) {
	var t record.Token
	var scopes string
	var created int64
	var revoked *int64
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &scopes, &created, &revoked); err != nil {
		return nil, err
	}
	t.Scopes = rows.ParseScopes(scopes)
	t.CreatedAt = rows.Time(created)
	if revoked != nil {
		t.RevokedAt = rows.Time(*revoked)
	}
	return &t, nil
}
