package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/jackc/pgx/v5"
)

// FlagRecord is a stored flag: its definition and who changed it when.
type FlagRecord struct {
	flag.Flag
	EnvironmentID int64     `json:"environment_id"`
	CreatedBy     string    `json:"created_by"`
	UpdatedBy     string    `json:"updated_by"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

const flagColumns = `id, environment_id, key, name, description, filters, active, deleted,
	ensure_experience_continuity, bucketing_identifier, version, created_by, updated_by, created_at, updated_at`

func scanFlag(row pgx.Row) (FlagRecord, error) {
	var r FlagRecord
	err := row.Scan(&r.ID, &r.EnvironmentID, &r.Key, &r.Name, &r.Description, &r.Filters, &r.Active, &r.Deleted,
		&r.EnsureExperienceContinuity, &r.BucketingIdentifier, &r.Version, &r.CreatedBy, &r.UpdatedBy, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

// ListFlags returns the environment's flags that are not deleted, by key, and the version they reflect.
func (db *DB) ListFlags(ctx context.Context, envID int64) ([]FlagRecord, int64, error) {
	var (
		out     []FlagRecord
		version int64
	)
	err := db.Transact(ctx, pgx.RepeatableRead, func(tx pgx.Tx) error {
		out = out[:0]
		if err := tx.QueryRow(ctx, `SELECT version FROM environments WHERE id = $1`, envID).Scan(&version); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+flagColumns+` FROM flags WHERE environment_id = $1 AND NOT deleted ORDER BY key`, envID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (FlagRecord, error) { return scanFlag(r) })
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, apperr.New(apperr.NotFound, "environment_not_found", "environment %d does not exist", envID)
	}
	if err != nil {
		return nil, 0, apperr.Wrap(err, "postgres.ListFlags")
	}
	return out, version, nil
}

// GetFlag returns one flag that is not deleted.
func (db *DB) GetFlag(ctx context.Context, envID int64, key string) (FlagRecord, error) {
	return getFlag(ctx, db.Pool, envID, key, "")
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getFlag(ctx context.Context, q querier, envID int64, key, suffix string) (FlagRecord, error) {
	r, err := scanFlag(q.QueryRow(ctx, `SELECT `+flagColumns+` FROM flags
		WHERE environment_id = $1 AND key = $2 AND NOT deleted `+suffix, envID, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, apperr.New(apperr.NotFound, "flag_not_found", "flag %q does not exist in environment %d", key, envID)
	}
	if err != nil {
		return r, apperr.Wrap(err, "postgres.GetFlag")
	}
	return r, nil
}

// CreateFlag inserts a flag and records the change; it returns the stored flag and the environment version.
func (db *DB) CreateFlag(ctx context.Context, envID int64, actor string, f flag.Flag) (FlagRecord, int64, error) {
	var (
		rec     FlagRecord
		version int64
	)
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) (err error) {
		if version, err = lockEnvironment(ctx, tx, envID); err != nil {
			return err
		}
		rec, err = scanFlag(tx.QueryRow(ctx, `INSERT INTO flags (environment_id, key, name, description, filters, active,
			ensure_experience_continuity, bucketing_identifier, version, created_by, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) RETURNING `+flagColumns,
			envID, f.Key, f.Name, f.Description, f.Filters, f.Active, f.EnsureExperienceContinuity, f.BucketingIdentifier, actor))
		if err != nil {
			return err
		}
		return recordChange(ctx, tx, change{envID: envID, version: version, actor: actor,
			action: "flag.create", resource: "flag/" + f.Key, after: rec})
	})
	if isUniqueViolation(err) {
		return rec, 0, apperr.New(apperr.Conflict, "flag_exists", "flag %q already exists in environment %d", f.Key, envID)
	}
	if err != nil {
		return rec, 0, asAppErr(err, "postgres.CreateFlag")
	}
	return rec, version, nil
}

// UpdateFlag locks the flag, lets edit compute its new definition from the current one (edit may refuse with
// an *apperr.Error), stores it and records the change.
func (db *DB) UpdateFlag(ctx context.Context, envID int64, actor, key string, edit func(cur FlagRecord) (flag.Flag, error)) (FlagRecord, int64, error) {
	var (
		rec     FlagRecord
		version int64
	)
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) (err error) {
		if version, err = lockEnvironment(ctx, tx, envID); err != nil {
			return err
		}
		cur, err := getFlag(ctx, tx, envID, key, "FOR UPDATE")
		if err != nil {
			return err
		}
		next, err := edit(cur)
		if err != nil {
			return err
		}
		rec, err = scanFlag(tx.QueryRow(ctx, `UPDATE flags SET name = $2, description = $3, filters = $4, active = $5,
			ensure_experience_continuity = $6, bucketing_identifier = $7, version = version + 1, updated_by = $8,
			updated_at = now() WHERE id = $1 RETURNING `+flagColumns,
			cur.ID, next.Name, next.Description, next.Filters, next.Active, next.EnsureExperienceContinuity,
			next.BucketingIdentifier, actor))
		if err != nil {
			return err
		}
		return recordChange(ctx, tx, change{envID: envID, version: version, actor: actor,
			action: "flag.update", resource: "flag/" + key, before: cur, after: rec})
	})
	if err != nil {
		return rec, 0, asAppErr(err, "postgres.UpdateFlag")
	}
	return rec, version, nil
}

// DeleteFlag soft-deletes a flag, unless check refuses, and records the change; it returns the environment
// version.
func (db *DB) DeleteFlag(ctx context.Context, envID int64, actor, key string, check func(FlagRecord) error) (int64, error) {
	var version int64
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) (err error) {
		if version, err = lockEnvironment(ctx, tx, envID); err != nil {
			return err
		}
		cur, err := getFlag(ctx, tx, envID, key, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE flags SET deleted = true, version = version + 1, updated_by = $2, updated_at = now()
			WHERE id = $1`, cur.ID, actor); err != nil {
			return err
		}
		return recordChange(ctx, tx, change{envID: envID, version: version, actor: actor,
			action: "flag.delete", resource: "flag/" + key, before: cur})
	})
	if err != nil {
		return 0, asAppErr(err, "postgres.DeleteFlag")
	}
	return version, nil
}

// asAppErr keeps an *apperr.Error raised inside a transaction and wraps anything else as internal.
func asAppErr(err error, op string) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae
	}
	return apperr.Wrap(err, op)
}
