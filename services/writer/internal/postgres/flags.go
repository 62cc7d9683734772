package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
)

const flagColumns = `id, environment_id, key, name, description, filters, active, deleted,
	ensure_experience_continuity, bucketing_identifier, version, created_by, updated_by, created_at, updated_at,
	tags, deleted_at, evaluation_runtime, evaluation_contexts`

func scanFlag(row pgx.Row) (admin.FlagRecord, error) {
	var r admin.FlagRecord
	err := row.Scan(flagDestinations(&r)...)
	r.Tags = admin.TagList(r.Tags)
	r.EvaluationContexts = contextList(r.EvaluationContexts)
	return r, err
}

// contextList is a flag's evaluation contexts as the definition carries them: none is nil, so flags without
// contexts encode exactly as they did before contexts existed.
func contextList(cs []string) []string {
	if len(cs) == 0 {
		return nil
	}
	return cs
}

// flagDestinations are the scan destinations of flagColumns in r, in their order.
func flagDestinations(r *admin.FlagRecord) []any {
	return []any{&r.ID, &r.EnvironmentID, &r.Key, &r.Name, &r.Description, &r.Filters, &r.Active, &r.Deleted,
		&r.EnsureExperienceContinuity, &r.BucketingIdentifier, &r.Version, &r.CreatedBy, &r.UpdatedBy, &r.CreatedAt,
		&r.UpdatedAt, &r.Tags, &r.DeletedAt, &r.EvaluationRuntime, &r.EvaluationContexts}
}

// ListFlags returns a page of the environment's flags ordered by key and id (deleted flags may repeat a
// key), whether more follow, and the environment version the page reflects.
func (db *DB) ListFlags(ctx context.Context, envID int64, q admin.FlagQuery) (page []admin.FlagRecord, more bool, version int64, err error) {
	err = db.Transact(ctx, pgx.RepeatableRead, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM environments WHERE id = $1`, envID).Scan(&version); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+flagColumns+` FROM flags WHERE environment_id = $1 AND deleted = $2
			AND ($3 = '' OR key ILIKE '%' || $3 || '%' ESCAPE '\' OR name ILIKE '%' || $3 || '%' ESCAPE '\')
			AND ($4::boolean IS NULL OR active = $4) AND ($5 = '' OR $5 = ANY (tags))
			AND (key, id) > ($6, $7) ORDER BY key, id LIMIT $8`,
			envID, q.Deleted, escapeLike(q.Search), q.Active, q.Tag, q.After, q.AfterID, q.Limit+1)
		if err != nil {
			return err
		}
		page, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (admin.FlagRecord, error) { return scanFlag(r) })
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, 0, admin.EnvironmentNotFound(envID)
	}
	if err != nil {
		return nil, false, 0, asAppErr(err, "postgres.ListFlags")
	}
	if len(page) > q.Limit {
		page, more = page[:q.Limit], true
	}
	return page, more, version, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetFlag returns one flag that is not deleted, and the environment version it was read at.
func (db *DB) GetFlag(ctx context.Context, envID int64, key string) (rec admin.FlagRecord, version int64, err error) {
	err = db.Transact(ctx, pgx.RepeatableRead, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM environments WHERE id = $1`, envID).Scan(&version); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return admin.EnvironmentNotFound(envID)
			}
			return err
		}
		rec, err = getFlag(ctx, tx, envID, key, "")
		return err
	})
	return rec, version, asAppErr(err, "postgres.GetFlag")
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getFlag(ctx context.Context, q querier, envID int64, key, suffix string) (admin.FlagRecord, error) {
	r, err := scanFlag(q.QueryRow(ctx, `SELECT `+flagColumns+` FROM flags
		WHERE environment_id = $1 AND key = $2 AND NOT deleted `+suffix, envID, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, admin.FlagNotFound(envID, key)
	}
	return r, err
}

// CreateFlag inserts a flag and records the change; it returns the stored flag and the environment version.
func (db *DB) CreateFlag(ctx context.Context, envID int64, actor admin.Actor, f admin.FlagSpec) (rec admin.FlagRecord, version int64, err error) {
	version, err = db.change(ctx, envID, actor, "postgres.CreateFlag", func(et *envTx) error {
		return flagValidated(ctx, et, nil, &f.Flag, func() (err error) {
			rec, err = insertFlag(ctx, et, f)
			return err
		})
	})
	return rec, version, err
}

func insertFlag(ctx context.Context, et *envTx, f admin.FlagSpec) (admin.FlagRecord, error) {
	rec, err := scanFlag(et.tx.QueryRow(ctx, `INSERT INTO flags (environment_id, key, name, description, filters, active,
		ensure_experience_continuity, bucketing_identifier, version, created_by, updated_by, tags, evaluation_runtime,
		evaluation_contexts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11, $12) RETURNING `+flagColumns,
		et.envID, f.Key, f.Name, f.Description, f.Filters, f.Active, f.EnsureExperienceContinuity, f.BucketingIdentifier,
		et.actor.Name, admin.TagList(f.Tags), f.EvaluationRuntime, admin.TagList(f.EvaluationContexts)))
	if isUniqueViolation(err) {
		return rec, admin.FlagExists(et.envID, f.Key)
	}
	if isForeignKeyViolation(err) {
		return rec, admin.EnvironmentNotFound(et.envID)
	}
	if err != nil {
		return rec, err
	}
	et.record("flag.create", "flag/"+f.Key, nil, rec)
	return rec, nil
}

// UpdateFlag locks the flag, lets edit compute its new definition from the current one (edit may refuse with
// an *apperr.Error), stores it and records the change as action (flag.update, flag.replace, flag.toggle).
func (db *DB) UpdateFlag(ctx context.Context, envID int64, actor admin.Actor, key, action string, edit func(cur admin.FlagRecord) (admin.FlagSpec, error)) (rec admin.FlagRecord, version int64, err error) {
	rec, version, done, err := db.updateFlagOptimistic(ctx, envID, actor, key, action, edit)
	if done {
		return rec, version, err
	}
	version, err = db.change(ctx, envID, actor, "postgres.UpdateFlag", func(et *envTx) error {
		cur, err := lockFlag(ctx, et.tx, envID, key)
		if err != nil {
			return err
		}
		next, err := edit(cur)
		if err != nil {
			return err
		}
		next.ID, next.Key = cur.ID, cur.Key
		return flagValidated(ctx, et, &cur.Flag, &next.Flag, func() (err error) {
			rec, err = updateFlag(ctx, et, cur, next, action)
			return err
		})
	})
	return rec, version, err
}

// lockFlag reads a live flag and takes its row lock.
func lockFlag(ctx context.Context, tx pgx.Tx, envID int64, key string) (admin.FlagRecord, error) {
	cur, err := getFlag(ctx, tx, envID, key, "FOR UPDATE")
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == "flag_not_found" {
		if ok, xerr := environmentExists(ctx, tx, envID); xerr != nil {
			return cur, xerr
		} else if !ok {
			return cur, admin.EnvironmentNotFound(envID)
		}
	}
	return cur, err
}

func updateFlag(ctx context.Context, et *envTx, cur admin.FlagRecord, next admin.FlagSpec, action string) (admin.FlagRecord, error) {
	rec, err := scanFlag(et.tx.QueryRow(ctx, `UPDATE flags SET name = $2, description = $3, filters = $4, active = $5,
		ensure_experience_continuity = $6, bucketing_identifier = $7, version = version + 1, updated_by = $8,
		updated_at = now(), tags = $9, evaluation_runtime = $10, evaluation_contexts = $11 WHERE id = $1 RETURNING `+flagColumns,
		cur.ID, next.Name, next.Description, next.Filters, next.Active, next.EnsureExperienceContinuity,
		next.BucketingIdentifier, et.actor.Name, admin.TagList(next.Tags), next.EvaluationRuntime,
		admin.TagList(next.EvaluationContexts)))
	if err != nil {
		return rec, err
	}
	et.record(action, "flag/"+cur.Key, cur, rec)
	return rec, nil
}

// DeleteFlag soft-deletes a flag, unless check refuses or another flag depends on it, and records the
// change; it returns the environment version.
func (db *DB) DeleteFlag(ctx context.Context, envID int64, actor admin.Actor, key string, check func(admin.FlagRecord) error) (int64, error) {
	return db.change(ctx, envID, actor, "postgres.DeleteFlag", func(et *envTx) error {
		cur, err := lockFlag(ctx, et.tx, envID, key) // the flag's row before the environment's: see mutate.go
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
		return lockedAndValidated(ctx, et, func() error {
			flags, err := readFlags(ctx, et.tx, envID)
			if err != nil {
				return err
			}
			if err := admin.RefuseIfDependedOn(flags, &cur.Flag); err != nil {
				return err
			}
			if _, err := et.tx.Exec(ctx, `UPDATE flags SET deleted = true, deleted_at = now(), version = version + 1,
				updated_by = $2, updated_at = now() WHERE id = $1`, cur.ID, actor.Name); err != nil {
				return err
			}
			et.record("flag.delete", "flag/"+key, cur, nil)
			return nil
		})
	})
}

// RestoreFlag brings back the most recently deleted flag with this key; it is a conflict when a live flag
// has the key again.
func (db *DB) RestoreFlag(ctx context.Context, envID int64, actor admin.Actor, key string) (rec admin.FlagRecord, version int64, err error) {
	version, err = db.inEnvironment(ctx, envID, actor, "postgres.RestoreFlag", func(ctx context.Context, et *envTx) error {
		var id int64
		err := et.tx.QueryRow(ctx, `SELECT id FROM flags WHERE environment_id = $1 AND key = $2 AND deleted
			ORDER BY deleted_at DESC NULLS LAST, id DESC LIMIT 1 FOR UPDATE`, envID, key).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "flag_not_found", "no deleted flag %q in environment %d", key, envID)
		}
		if err != nil {
			return err
		}
		rec, err = scanFlag(et.tx.QueryRow(ctx, `UPDATE flags SET deleted = false, deleted_at = NULL,
			version = version + 1, updated_by = $2, updated_at = now() WHERE id = $1 RETURNING `+flagColumns, id, actor.Name))
		if isUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "flag_exists", "a live flag %q exists in environment %d; delete it first", key, envID)
		}
		if err != nil {
			return err
		}
		et.record("flag.restore", "flag/"+key, nil, rec)
		return nil
	})
	return rec, version, err
}

// asAppErr keeps an *apperr.Error raised inside a transaction and wraps anything else as internal.
func asAppErr(err error, op string) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae
	}
	if ue := unavailable(err, op); ue != nil {
		return ue
	}
	if isUniqueViolation(err) {
		return apperr.New(apperr.Conflict, "conflict", "the change conflicts with an existing resource")
	}
	return apperr.Wrap(err, op)
}
