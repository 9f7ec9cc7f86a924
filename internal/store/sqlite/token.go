package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/internal/rows"
)

// CreateToken implements store.Store.
func (db *DB) CreateToken(ctx context.Context, t record.Token) error {
	if err := store.ValidateToken(&t); err != nil {
		return err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE id = ? OR hash = ?`, t.ID, t.Hash).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Errorf(store.EConflict, "token %q or its hash exists", t.ID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, name, hash, scopes, created_ns) VALUES (?, ?, ?, ?, ?)`,
			t.ID, t.Name, t.Hash, rows.Scopes(t.Scopes), t.CreatedAt.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.ID, err)
	}
	return nil
}

const tokenColumns = `id, name, hash, scopes, created_ns, revoked_ns`

// TokenByHash implements store.Store.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*record.Token, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens
		WHERE hash = ? AND revoked_ns IS NULL`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENotFound, "no live token has this hash")
	}
	if err != nil {
		return nil, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}

// RevokeToken implements store.Store.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_ns = coalesce(revoked_ns, ?) WHERE id = ?`,
			db.now().UnixNano(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.Errorf(store.ENotFound, "token %q not found", id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return nil
}

// ListTokens implements store.Store.
func (db *DB) ListTokens(ctx context.Context) ([]record.Token, error) {
	rs, err := db.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY created_ns, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rs.Close()
	out := []record.Token{}
	for rs.Next() {
		t, err := scanToken(rs)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, *t)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

func scanToken(row interface{ Scan(...any) error }) (*record.Token, error) {
	var t record.Token
	var scopes string
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &scopes, &created, &revoked); err != nil {
		return nil, err
	}
	t.Scopes = rows.ParseScopes(scopes)
	t.CreatedAt = rows.Time(created)
	if revoked.Valid {
		t.RevokedAt = rows.Time(revoked.Int64)
	}
	return &t, nil
}
