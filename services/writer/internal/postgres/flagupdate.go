package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
)

// The most frequent change, an edit of one flag that references no other flag and no cohort, runs as one
// statement (updateFlagSQL) after an unlocked read: the flag's row, the environment's version bump, the
// audit row and the outbox row are written and committed together, holding the environment's row lock for
// that statement and its commit only, in two round trips instead of a transaction of five. The statement
// changes nothing when the flag's version moved since the read (another edit won); the edit is then
// computed again from the new state, and after a few lost races it takes the locked path.

const updateFlagSQL = `WITH f AS (UPDATE flags SET name = $3, description = $4, filters = $5, active = $6,
		ensure_experience_continuity = $7, bucketing_identifier = $8, version = version + 1, updated_by = $9,
		updated_at = $10, tags = $11
		WHERE id = $1 AND version = $2 AND NOT deleted RETURNING ` + flagColumns + `),
	v AS (UPDATE environments SET version = version + 1 WHERE id = $12 AND EXISTS (SELECT 1 FROM f) RETURNING version),
	a AS (INSERT INTO audit_log (environment_id, environment_version, actor, actor_token_id, action, resource, before, after)
		SELECT $12, v.version, $9, $13, $14, $15, $16::jsonb, $17::jsonb FROM v),
	o AS (INSERT INTO outbox (environment_id, environment_version) SELECT $12, version FROM v)
	SELECT f.*, v.version FROM f, v`

const optimisticAttempts = 3

// updateFlagOptimistic tries the one-statement edit. done is false when the edit must take the locked path
// instead: the new definition references a flag or a cohort, or the flag kept changing under it.
func (db *DB) updateFlagOptimistic(ctx context.Context, envID int64, actor Actor, key, action string,
	edit func(cur FlagRecord) (FlagSpec, error)) (rec FlagRecord, version int64, done bool, err error) {
	for range optimisticAttempts {
		cur, err := getFlag(ctx, db.Pool, envID, key, "")
		if err != nil {
			return rec, 0, true, db.flagOrEnvNotFound(ctx, envID, err)
		}
		next, err := edit(cur)
		if err != nil {
			return rec, 0, true, err
		}
		next.ID, next.Key = cur.ID, cur.Key
		if hasReferences(&next.Flag) || grows(&cur.Flag, &next.Flag) {
			return rec, 0, false, nil // the locked path validates references and the snapshot budget
		}
		if err := refuseNew(ownProblems(&cur.Flag), ownProblems(&next.Flag)); err != nil {
			return rec, 0, true, err
		}
		rec, version, err = db.updateFlagIfVersion(ctx, envID, actor, cur, next, action)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // the flag changed (or was deleted) since it was read
		}
		if err != nil {
			return rec, 0, true, asAppErr(err, "postgres.UpdateFlag")
		}
		db.committed(envID)
		return rec, version, true, nil
	}
	return rec, 0, false, nil
}

// updateFlagIfVersion stores next if the flag is still at cur's version, with its audit and outbox rows
// and the version bump, in one statement; pgx.ErrNoRows when the flag moved.
func (db *DB) updateFlagIfVersion(ctx context.Context, envID int64, actor Actor, cur FlagRecord, next FlagSpec, action string) (FlagRecord, int64, error) {
	// The audit row's "after" is the stored flag, known before it is stored: every column is either next's,
	// cur's, or set here (updated_at to the microsecond PostgreSQL keeps, version).
	now := time.Now().Truncate(time.Microsecond)
	after := FlagRecord{FlagSpec: FlagSpec{Tags: tagsOf(next.Tags)}, EnvironmentID: cur.EnvironmentID,
		CreatedBy: cur.CreatedBy, UpdatedBy: actor.Name, CreatedAt: cur.CreatedAt, UpdatedAt: now}
	after.ID, after.Key, after.Version = cur.ID, cur.Key, cur.Version+1
	after.Name, after.Description, after.Filters, after.Active = next.Name, next.Description, next.Filters, next.Active
	after.EnsureExperienceContinuity, after.BucketingIdentifier = next.EnsureExperienceContinuity, next.BucketingIdentifier
	before, err := jsonText(cur)
	if err != nil {
		return FlagRecord{}, 0, err
	}
	afterText, err := jsonText(after)
	if err != nil {
		return FlagRecord{}, 0, err
	}
	var rec FlagRecord
	var version int64
	err = db.Pool.QueryRow(ctx, updateFlagSQL, cur.ID, cur.Version, next.Name, next.Description, next.Filters, next.Active,
		next.EnsureExperienceContinuity, next.BucketingIdentifier, actor.Name, now, tagsOf(next.Tags),
		envID, actor.tokenID(), action, "flag/"+cur.Key, before, afterText).Scan(&rec.ID, &rec.EnvironmentID, &rec.Key,
		&rec.Name, &rec.Description, &rec.Filters, &rec.Active, &rec.Deleted, &rec.EnsureExperienceContinuity,
		&rec.BucketingIdentifier, &rec.Version, &rec.CreatedBy, &rec.UpdatedBy, &rec.CreatedAt, &rec.UpdatedAt, &rec.Tags,
		&rec.DeletedAt, &version)
	if rec.Tags == nil {
		rec.Tags = []string{}
	}
	return rec, version, err
}

// flagOrEnvNotFound turns a flag_not_found into environment_not_found when the environment is missing.
func (db *DB) flagOrEnvNotFound(ctx context.Context, envID int64, err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "flag_not_found" {
		return asAppErr(err, "postgres.UpdateFlag")
	}
	var ok bool
	if xerr := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM environments WHERE id = $1)`, envID).Scan(&ok); xerr != nil {
		return apperr.Wrap(xerr, "postgres.UpdateFlag")
	}
	if !ok {
		return envNotFound(envID)
	}
	return err
}
