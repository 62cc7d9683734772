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

const environmentColumns = `id, project_id, name, version, created_at, label, color, protected`

func scanEnvironment(row pgx.Row) (admin.Environment, error) {
	var e admin.Environment
	err := row.Scan(&e.ID, &e.ProjectID, &e.Name, &e.Version, &e.CreatedAt, &e.Label, &e.Color, &e.Protected)
	return e, err
}

// ListEnvironments returns the project's environments.
func (db *DB) ListEnvironments(ctx context.Context, projectID int64) ([]admin.Environment, error) {
	if _, err := db.GetProject(ctx, projectID); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+environmentColumns+` FROM environments WHERE project_id = $1 ORDER BY id`, projectID)
	if err != nil {
		return nil, asAppErr(err, "postgres.ListEnvironments")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (admin.Environment, error) { return scanEnvironment(r) })
	if err != nil {
		return nil, asAppErr(err, "postgres.ListEnvironments")
	}
	return out, nil
}

// GetEnvironment returns the environment with its live keys and group types.
func (db *DB) GetEnvironment(ctx context.Context, envID int64) (admin.EnvironmentDetail, error) {
	var d admin.EnvironmentDetail
	err := db.Transact(ctx, pgx.RepeatableRead, func(tx pgx.Tx) (err error) {
		if d.Environment, err = scanEnvironment(tx.QueryRow(ctx, `SELECT `+environmentColumns+` FROM environments WHERE id = $1`, envID)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, kind, CASE WHEN kind = 'sdk' THEN value ELSE '' END, created_at, expires_at
			FROM environment_keys WHERE environment_id = $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY id`, envID)
		if err != nil {
			return err
		}
		if d.Keys, err = pgx.CollectRows(rows, pgx.RowToStructByPos[admin.KeyInfo]); err != nil {
			return err
		}
		d.GroupTypes, err = readGroupTypes(ctx, tx, envID)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return d, admin.EnvironmentNotFound(envID)
	}
	return d, asAppErr(err, "postgres.GetEnvironment")
}

// RotateKey creates a new key of kind ("sdk" or "server") and lets the environment's other live keys of that
// kind expire after grace (0 revokes them now). The answer holds the new key in clear, once.
func (db *DB) RotateKey(ctx context.Context, envID int64, actor admin.Actor, kind string, grace time.Duration) (admin.KeyInfo, int64, error) {
	clear, stored := admin.NewEnvironmentKey(kind)
	var k admin.KeyInfo
	version, err := db.inEnvironment(ctx, envID, actor, "postgres.RotateKey", func(ctx context.Context, et *envTx) error {
		if _, err := et.tx.Exec(ctx, `UPDATE environment_keys SET expires_at = now() + $3::interval
			WHERE environment_id = $1 AND kind = $2 AND (expires_at IS NULL OR expires_at > now() + $3::interval)`,
			envID, kind, grace); err != nil {
			return err
		}
		err := et.tx.QueryRow(ctx, `INSERT INTO environment_keys (environment_id, kind, value) VALUES ($1, $2, $3)
			RETURNING id, kind, created_at, expires_at`, envID, kind, stored).Scan(&k.ID, &k.Kind, &k.CreatedAt, &k.ExpiresAt)
		if err != nil {
			return err
		}
		et.record("key.rotate", fmt.Sprintf("key/%d", k.ID), nil, map[string]any{"kind": kind, "grace_seconds": grace.Seconds()})
		return nil
	})
	k.Value = clear
	return k, version, err
}

// RevokeKey expires one key now.
func (db *DB) RevokeKey(ctx context.Context, envID int64, actor admin.Actor, keyID int64) (int64, error) {
	return db.inEnvironment(ctx, envID, actor, "postgres.RevokeKey", func(ctx context.Context, et *envTx) error {
		tag, err := et.tx.Exec(ctx, `UPDATE environment_keys SET expires_at = now()
			WHERE id = $1 AND environment_id = $2 AND (expires_at IS NULL OR expires_at > now())`, keyID, envID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.NotFound, "key_not_found", "no live key %d in environment %d", keyID, envID)
		}
		et.record("key.revoke", fmt.Sprintf("key/%d", keyID), nil, nil)
		return nil
	})
}

// SetGroupTypes replaces the environment's group type mapping.
func (db *DB) SetGroupTypes(ctx context.Context, envID int64, actor admin.Actor, types map[int]string) (int64, error) {
	return db.inEnvironment(ctx, envID, actor, "postgres.SetGroupTypes", func(ctx context.Context, et *envTx) error {
		before, err := readGroupTypes(ctx, et.tx, envID)
		if err != nil {
			return err
		}
		if err := writeGroupTypes(ctx, et.tx, envID, types, true); err != nil {
			return err
		}
		et.record("group_types.set", "group_types", before, types)
		return nil
	})
}

func writeGroupTypes(ctx context.Context, tx pgx.Tx, envID int64, types map[int]string, replace bool) error {
	if replace {
		if _, err := tx.Exec(ctx, `DELETE FROM group_types WHERE environment_id = $1`, envID); err != nil {
			return err
		}
	}
	for idx, name := range types {
		if _, err := tx.Exec(ctx, `INSERT INTO group_types (environment_id, idx, name) VALUES ($1, $2, $3)
			ON CONFLICT (environment_id, idx) DO UPDATE SET name = excluded.name`, envID, idx, name); err != nil {
			if isUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "group_type_exists", "group type %q is already used by another index", name)
			}
			return err
		}
	}
	return nil
}

func readGroupTypes(ctx context.Context, tx pgx.Tx, envID int64) (map[int]string, error) {
	rows, err := tx.Query(ctx, `SELECT idx, name FROM group_types WHERE environment_id = $1`, envID)
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	var (
		idx  int
		name string
	)
	_, err = pgx.ForEachRow(rows, []any{&idx, &name}, func() error { out[idx] = name; return nil })
	return out, err
}
