package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
)

const tokenColumns = `id, name, scopes, created_by, created_at, expires_at, revoked_at, secret_hash` // #nosec G101 -- column names, no secret

func scanToken(row pgx.Row) (admin.Token, error) {
	var t admin.Token
	err := row.Scan(&t.ID, &t.Name, &t.Scopes, &t.CreatedBy, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.SecretHash)
	return t, err
}

// CreateToken stores a token whose secret hashes to secretHash.
func (db *DB) CreateToken(ctx context.Context, actor admin.Actor, name string, scopes []string, expiresAt *time.Time, secretHash string) (admin.Token, error) {
	var t admin.Token
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) (err error) {
		t, err = scanToken(tx.QueryRow(ctx, `INSERT INTO admin_tokens (name, secret_hash, scopes, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+tokenColumns, name, secretHash, scopes, actor.Name, expiresAt))
		if err != nil {
			return err
		}
		return audit(ctx, tx, nil, nil, actor, change{action: "token.create", resource: fmt.Sprintf("token/%d", t.ID), after: t})
	})
	if err != nil {
		return t, asAppErr(err, "postgres.CreateToken")
	}
	return t, nil
}

// ListTokens lists every token, revoked ones included.
func (db *DB) ListTokens(ctx context.Context) ([]admin.Token, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+tokenColumns+` FROM admin_tokens ORDER BY id`)
	if err != nil {
		return nil, asAppErr(err, "postgres.ListTokens")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (admin.Token, error) { return scanToken(r) })
	if err != nil {
		return nil, asAppErr(err, "postgres.ListTokens")
	}
	return out, nil
}

// GetToken returns one token with its secret hash, for authentication.
func (db *DB) GetToken(ctx context.Context, id int64) (admin.Token, error) {
	t, err := scanToken(db.Pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM admin_tokens WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, apperr.New(apperr.NotFound, "token_not_found", "token %d does not exist", id)
	}
	if err != nil {
		return t, asAppErr(err, "postgres.GetToken")
	}
	return t, nil
}

// RevokeToken revokes a token now.
func (db *DB) RevokeToken(ctx context.Context, actor admin.Actor, id int64) error {
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE admin_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.NotFound, "token_not_found", "no live token %d", id)
		}
		return audit(ctx, tx, nil, nil, actor, change{action: "token.revoke", resource: fmt.Sprintf("token/%d", id)})
	})
	return asAppErr(err, "postgres.RevokeToken")
}
