package postgres

import (
	"context"
	"errors"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/jackc/pgx/v5"
)

// Definitions reads the environment's live flags, its cohorts (static ones with their members) and its
// group types at one version, as its snapshot would carry them, for the admin API's evaluations.
func (db *DB) Definitions(ctx context.Context, envID int64) (admin.Definitions, error) {
	var d admin.Definitions
	err := db.Transact(ctx, pgx.RepeatableRead, func(tx pgx.Tx) (err error) {
		if err := tx.QueryRow(ctx, `SELECT version FROM environments WHERE id = $1`, envID).Scan(&d.Version); err != nil {
			return err
		}
		if d.Flags, err = readFlags(ctx, tx, envID); err != nil {
			return err
		}
		if d.Cohorts, err = readCohortDefinitions(ctx, tx, envID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT m.cohort_id, m.member FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
			WHERE c.environment_id = $1 AND c.is_static ORDER BY m.cohort_id, m.member`, envID)
		if err != nil {
			return err
		}
		members, err := pgx.CollectRows(rows, pgx.RowToStructByPos[cohortMember])
		if err != nil {
			return err
		}
		attachMembers(d.Cohorts, members)
		d.GroupTypes, err = readGroupTypes(ctx, tx, envID)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return d, admin.EnvironmentNotFound(envID)
	}
	if err != nil {
		return d, asAppErr(err, "postgres.Definitions")
	}
	return d, nil
}
