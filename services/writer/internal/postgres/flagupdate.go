package postgres

import (
	"context"
	"errors"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
)

// The most frequent change, an edit of one flag that references no other flag and no cohort, is computed
// after an unlocked read and stored by one statement that writes the flag's row, the environment's version
// bump, the audit row and the outbox row together, holding the environment's row lock for that statement
// and its commit only, and sharing both with the other such edits of the environment waiting at the same
// time (groupcommit.go). The statement leaves the flag alone when its version moved since the read (another
// edit won); the edit is then computed again from the new state, and after a few lost races it takes the
// locked path.

const optimisticAttempts = 3

// updateFlagOptimistic tries the one-statement edit. done is false when the edit must take the locked path
// instead: the new definition references a flag or a cohort, or the flag kept changing under it.
func (db *DB) updateFlagOptimistic(ctx context.Context, envID int64, actor admin.Actor, key, action string,
	edit func(cur admin.FlagRecord) (admin.FlagSpec, error)) (rec admin.FlagRecord, version int64, done bool, err error) {
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
		if admin.HasReferences(&next.Flag) || admin.Grows(&cur.Flag, &next.Flag) {
			return rec, 0, false, nil // the locked path validates references and the snapshot budget
		}
		if err := admin.RefuseNew(admin.OwnProblems(&cur.Flag), admin.OwnProblems(&next.Flag)); err != nil {
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
// and the version bump, committed with the other edits of the environment waiting at the same time
// (groupcommit.go); pgx.ErrNoRows when the flag moved.
func (db *DB) updateFlagIfVersion(ctx context.Context, envID int64, actor admin.Actor, cur admin.FlagRecord, next admin.FlagSpec, action string) (admin.FlagRecord, int64, error) {
	ctx, span := startCommit(ctx, "postgres.UpdateFlag")
	e, err := newFlagEdit(ctx, envID, actor, cur, next, action)
	if err != nil {
		endCommit(span, envID, 0, err)
		return admin.FlagRecord{}, 0, err
	}
	rec, version, err := db.edits.commit(e)
	span.SetAttributes(attribute.Int(attrGroupSize, e.group))
	endCommit(span, envID, version, err)
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
		return asAppErr(xerr, "postgres.UpdateFlag")
	}
	if !ok {
		return admin.EnvironmentNotFound(envID)
	}
	return err
}
