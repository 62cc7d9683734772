package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/jackc/pgx/v5"
)

const cohortColumns = `id, environment_id, name, description, is_static, filters, version, created_by, updated_by,
	created_at, updated_at, (SELECT count(*) FROM cohort_members m WHERE m.cohort_id = cohorts.id)`

func scanCohort(row pgx.Row) (admin.CohortRecord, error) {
	var c admin.CohortRecord
	err := row.Scan(&c.ID, &c.EnvironmentID, &c.Name, &c.Description, &c.IsStatic, &c.Filters, &c.Version,
		&c.CreatedBy, &c.UpdatedBy, &c.CreatedAt, &c.UpdatedAt, &c.MemberCount)
	return c, err
}

// ListCohorts returns the environment's cohorts by id.
func (db *DB) ListCohorts(ctx context.Context, envID int64) ([]admin.CohortRecord, error) {
	if _, err := db.EnvironmentVersion(ctx, envID); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+cohortColumns+` FROM cohorts WHERE environment_id = $1 ORDER BY id`, envID)
	if err != nil {
		return nil, asAppErr(err, "postgres.ListCohorts")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (admin.CohortRecord, error) { return scanCohort(r) })
	if err != nil {
		return nil, asAppErr(err, "postgres.ListCohorts")
	}
	return out, nil
}

// GetCohort returns one cohort.
func (db *DB) GetCohort(ctx context.Context, envID, id int64) (admin.CohortRecord, error) {
	c, err := getCohort(ctx, db.Pool, envID, id, "")
	return c, asAppErr(err, "postgres.GetCohort")
}

func getCohort(ctx context.Context, q querier, envID, id int64, suffix string) (admin.CohortRecord, error) {
	c, err := scanCohort(q.QueryRow(ctx, `SELECT `+cohortColumns+` FROM cohorts WHERE environment_id = $1 AND id = $2 `+suffix, envID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, admin.CohortNotFound(envID, id)
	}
	return c, err
}

// CreateCohort inserts a cohort with its first members (static cohorts only).
func (db *DB) CreateCohort(ctx context.Context, envID int64, actor admin.Actor, spec admin.CohortSpec, members []string) (rec admin.CohortRecord, version int64, err error) {
	version, err = db.inEnvironment(ctx, envID, actor, "postgres.CreateCohort", func(ctx context.Context, et *envTx) error {
		id, err := insertCohort(ctx, et.tx, envID, actor, spec)
		if err != nil {
			return err
		}
		if err := addMembers(ctx, et.tx, id, members, true); err != nil {
			return err
		}
		if err := checkSnapshotBudget(ctx, et, envID); err != nil {
			return err
		}
		if rec, err = getCohort(ctx, et.tx, envID, id, ""); err != nil {
			return err
		}
		et.record("cohort.create", fmt.Sprintf("cohort/%d", id), nil, rec)
		return nil
	})
	return rec, version, err
}

func insertCohort(ctx context.Context, tx pgx.Tx, envID int64, actor admin.Actor, spec admin.CohortSpec) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO cohorts (environment_id, name, description, is_static, filters, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, envID, spec.Name, spec.Description, spec.IsStatic,
		nullJSON(spec.Filters), actor.Name).Scan(&id)
	if isUniqueViolation(err) {
		return 0, apperr.New(apperr.Conflict, "cohort_exists", "a cohort named %q exists in environment %d", spec.Name, envID)
	}
	return id, err
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return b
}

// UpdateCohort lets edit compute the cohort's new definition from the current one and stores it.
func (db *DB) UpdateCohort(ctx context.Context, envID int64, actor admin.Actor, id int64, edit func(admin.CohortRecord) (admin.CohortSpec, error)) (rec admin.CohortRecord, version int64, err error) {
	version, err = db.inEnvironment(ctx, envID, actor, "postgres.UpdateCohort", func(ctx context.Context, et *envTx) error {
		cur, err := getCohort(ctx, et.tx, envID, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		next, err := edit(cur)
		if err != nil {
			return err
		}
		if err := admin.CheckCohortEdit(cur, next); err != nil {
			return err
		}
		if err := updateCohortRow(ctx, et.tx, id, actor, next); err != nil {
			return err
		}
		if rec, err = getCohort(ctx, et.tx, envID, id, ""); err != nil {
			return err
		}
		et.record("cohort.update", fmt.Sprintf("cohort/%d", id), cur, rec)
		return nil
	})
	return rec, version, err
}

func updateCohortRow(ctx context.Context, tx pgx.Tx, id int64, actor admin.Actor, spec admin.CohortSpec) error {
	_, err := tx.Exec(ctx, `UPDATE cohorts SET name = $2, description = $3, filters = $4, version = version + 1,
		updated_by = $5, updated_at = now() WHERE id = $1`, id, spec.Name, spec.Description, nullJSON(spec.Filters), actor.Name)
	if isUniqueViolation(err) {
		return apperr.New(apperr.Conflict, "cohort_exists", "another cohort is named %q", spec.Name)
	}
	return err
}

// SetMembers replaces (or appends to) a static cohort's members; it returns the cohort after the change.
func (db *DB) SetMembers(ctx context.Context, envID int64, actor admin.Actor, id int64, members []string, replace bool, check func(admin.CohortRecord) error) (rec admin.CohortRecord, version int64, err error) {
	version, err = db.inEnvironment(ctx, envID, actor, "postgres.SetMembers", func(ctx context.Context, et *envTx) error {
		cur, err := getCohort(ctx, et.tx, envID, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if !cur.IsStatic {
			return apperr.New(apperr.Conflict, "cohort_not_static", "cohort %d is a property cohort; only static cohorts have members", id)
		}
		if err := check(cur); err != nil {
			return err
		}
		if replace {
			if _, err := et.tx.Exec(ctx, `DELETE FROM cohort_members WHERE cohort_id = $1`, id); err != nil {
				return err
			}
		}
		if err := addMembers(ctx, et.tx, id, members, replace); err != nil {
			return err
		}
		if err := checkSnapshotBudget(ctx, et, envID); err != nil {
			return err
		}
		if _, err := et.tx.Exec(ctx, `UPDATE cohorts SET version = version + 1, updated_by = $2, updated_at = now() WHERE id = $1`, id, actor.Name); err != nil {
			return err
		}
		if rec, err = getCohort(ctx, et.tx, envID, id, ""); err != nil {
			return err
		}
		action := map[bool]string{true: "cohort.members.replace", false: "cohort.members.append"}[replace]
		et.record(action, fmt.Sprintf("cohort/%d", id), map[string]any{"member_count": cur.MemberCount},
			map[string]any{"member_count": rec.MemberCount, "uploaded": len(members)})
		return nil
	})
	return rec, version, err
}

// addMembers streams members into the cohort with COPY (through a temporary table, so duplicates and members
// already present are skipped). empty says the cohort has no members yet, which allows a direct COPY.
func addMembers(ctx context.Context, tx pgx.Tx, id int64, members []string, empty bool) error {
	if len(members) == 0 {
		return nil
	}
	if empty {
		members = dedupe(members)
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"cohort_members"}, []string{"cohort_id", "member"},
			pgx.CopyFromSlice(len(members), func(i int) ([]any, error) { return []any{id, members[i]}, nil }))
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE IF NOT EXISTS upload_members (member text) ON COMMIT DROP`); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"upload_members"}, []string{"member"},
		pgx.CopyFromSlice(len(members), func(i int) ([]any, error) { return []any{members[i]}, nil })); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO cohort_members (cohort_id, member) SELECT DISTINCT $1::bigint, member FROM upload_members
		ON CONFLICT DO NOTHING`, id)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `TRUNCATE upload_members`)
	return err
}

func dedupe(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	n := 0
	for i, s := range out {
		if i == 0 || s != out[n-1] {
			out[n] = s
			n++
		}
	}
	return out[:n]
}

// checkSnapshotBudget refuses a change that makes the environment's snapshot too big to publish on the
// NATS server (admin.CheckSnapshotBudget judges the weights summed here). Bulk changes (member uploads,
// imports, copies) check it, and so do flag creates and edits that grow a flag by more than
// admin.GrowthChecked.
func checkSnapshotBudget(ctx context.Context, et *envTx, envID int64) error {
	var members, defs int64
	if err := et.tx.QueryRow(ctx, `SELECT
		(SELECT coalesce(sum(octet_length(m.member) + $2::int), 0) FROM cohort_members m
			JOIN cohorts c ON c.id = m.cohort_id WHERE c.environment_id = $1),
		(SELECT coalesce(sum(octet_length(key) + octet_length(name) + octet_length(description)
			+ octet_length(filters::text) + $3::int), 0) FROM flags WHERE environment_id = $1 AND NOT deleted)
		+ (SELECT coalesce(sum(octet_length(name) + coalesce(octet_length(filters::text), 0) + $4::int), 0) FROM cohorts WHERE environment_id = $1)`,
		envID, admin.MemberOverheadBytes, admin.FlagOverheadBytes, admin.CohortOverheadBytes).Scan(&members, &defs); err != nil {
		return err
	}
	return admin.CheckSnapshotBudget(et.maxPayload, members, defs)
}

// ListMembers returns up to limit members after the given one, in order.
func (db *DB) ListMembers(ctx context.Context, envID, id int64, after string, limit int) ([]string, error) {
	if _, err := db.GetCohort(ctx, envID, id); err != nil {
		return nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT member FROM cohort_members WHERE cohort_id = $1 AND member > $2 ORDER BY member LIMIT $3`, id, after, limit)
	if err != nil {
		return nil, asAppErr(err, "postgres.ListMembers")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, asAppErr(err, "postgres.ListMembers")
	}
	return out, nil
}

// DeleteCohort deletes a cohort that no live flag and no other cohort uses.
func (db *DB) DeleteCohort(ctx context.Context, envID int64, actor admin.Actor, id int64, check func(admin.CohortRecord) error) (int64, error) {
	return db.inEnvironment(ctx, envID, actor, "postgres.DeleteCohort", func(ctx context.Context, et *envTx) error {
		cur, err := getCohort(ctx, et.tx, envID, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
		use, err := usesOfCohort(ctx, et.tx, envID, id)
		if err != nil {
			return err
		}
		if err := use.Err(id); err != nil {
			return err
		}
		if _, err := et.tx.Exec(ctx, `DELETE FROM cohorts WHERE id = $1`, id); err != nil {
			return err
		}
		et.record("cohort.delete", fmt.Sprintf("cohort/%d", id), cur, nil)
		return nil
	})
}

func usesOfCohort(ctx context.Context, tx pgx.Tx, envID, id int64) (admin.CohortInUse, error) {
	flags, err := readFlags(ctx, tx, envID)
	if err != nil {
		return admin.CohortInUse{}, err
	}
	cohorts, err := readCohortDefinitions(ctx, tx, envID)
	if err != nil {
		return admin.CohortInUse{}, err
	}
	return admin.CohortUses(flags, cohorts, id), nil
}

// readCohortDefinitions reads the environment's cohorts without their members (what validation needs).
func readCohortDefinitions(ctx context.Context, tx pgx.Tx, envID int64) ([]flag.Cohort, error) {
	rows, err := tx.Query(ctx, cohortsSQL, envID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanCohortDefinition)
}

const cohortsSQL = `SELECT id, name, is_static, filters FROM cohorts WHERE environment_id = $1 ORDER BY id`

func scanCohortDefinition(r pgx.CollectableRow) (flag.Cohort, error) {
	var c flag.Cohort
	err := r.Scan(&c.ID, &c.Name, &c.IsStatic, &c.Filters)
	return c, err
}

// readCohorts reads the environment's cohorts with the members of static ones, for the snapshot.
func readCohorts(ctx context.Context, tx pgx.Tx, envID int64) ([]flag.Cohort, error) {
	cohorts, err := readCohortDefinitions(ctx, tx, envID)
	if err != nil {
		return nil, err
	}
	for i := range cohorts {
		if !cohorts[i].IsStatic {
			continue
		}
		rows, err := tx.Query(ctx, `SELECT member FROM cohort_members WHERE cohort_id = $1 ORDER BY member`, cohorts[i].ID)
		if err != nil {
			return nil, err
		}
		if cohorts[i].Members, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, err
		}
	}
	return cohorts, nil
}
