package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/jackc/pgx/v5"
)

// ExportEnvironment reads every definition of the environment at one version.
func (db *DB) ExportEnvironment(ctx context.Context, envID int64) (*admin.Export, error) {
	out := &admin.Export{Format: admin.ExportFormat, EnvironmentID: envID, GroupTypes: map[string]string{}, Cohorts: []admin.ExportCohort{}, Flags: []admin.ExportFlag{}}
	err := db.Transact(ctx, pgx.RepeatableRead, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM environments WHERE id = $1`, envID).Scan(&out.EnvironmentVersion); err != nil {
			return err
		}
		types, err := readGroupTypes(ctx, tx, envID)
		if err != nil {
			return err
		}
		for i, n := range types {
			out.GroupTypes[strconv.Itoa(i)] = n
		}
		rows, err := tx.Query(ctx, `SELECT `+cohortColumns+` FROM cohorts WHERE environment_id = $1 ORDER BY id`, envID)
		if err != nil {
			return err
		}
		cohorts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (admin.CohortRecord, error) { return scanCohort(r) })
		if err != nil {
			return err
		}
		withMembers, err := readCohorts(ctx, tx, envID)
		if err != nil {
			return err
		}
		for i, c := range cohorts {
			out.Cohorts = append(out.Cohorts, admin.ExportCohort{ID: c.ID, CohortSpec: c.CohortSpec, Members: withMembers[i].Members})
		}
		rows, err = tx.Query(ctx, `SELECT `+flagColumns+` FROM flags WHERE environment_id = $1 AND NOT deleted ORDER BY key`, envID)
		if err != nil {
			return err
		}
		recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (admin.FlagRecord, error) { return scanFlag(r) })
		for _, r := range recs {
			out.Flags = append(out.Flags, admin.ExportFlagOf(r))
		}
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, admin.EnvironmentNotFound(envID)
	}
	return out, asAppErr(err, "postgres.ExportEnvironment")
}

// Import upserts every definition of doc into the environment in one transaction producing one version:
// group types by index, cohorts by name, flags by key. References between them (flag dependencies, cohort
// filters) are rewritten from the document's ids to the environment's.
//
// A document with nothing in it changes nothing: it answers the environment's current version without
// producing a new one (and so publishes nothing).
func (db *DB) Import(ctx context.Context, envID int64, actor admin.Actor, doc *admin.Export) (admin.ImportResult, error) {
	var res admin.ImportResult
	if doc.Empty() {
		v, err := db.EnvironmentVersion(ctx, envID)
		res.EnvironmentVersion, res.Warnings = v, []admin.ImportWarning{}
		return res, err
	}
	version, err := db.inEnvironment(ctx, envID, actor, "postgres.Import", func(ctx context.Context, et *envTx) error {
		res = admin.ImportResult{Warnings: []admin.ImportWarning{}} // a retried transaction counts from zero again
		before, err := definitionsDigest(ctx, et.tx, envID)
		if err != nil {
			return err
		}
		types, err := doc.GroupTypeIndexes()
		if err != nil {
			return err
		}
		if err := writeGroupTypes(ctx, et.tx, envID, types, false); err != nil {
			return err
		}
		cohortIDs, err := upsertCohorts(ctx, et, doc.Cohorts, &res)
		if err != nil {
			return err
		}
		specs := make([]admin.FlagSpec, len(doc.Flags))
		for i, f := range doc.Flags {
			specs[i] = f.Spec()
		}
		if err := upsertFlags(ctx, et, specs, cohortIDs, nil, &res); err != nil {
			return err
		}
		after, err := definitionsDigest(ctx, et.tx, envID)
		if err != nil {
			return err
		}
		if after == before {
			return errUnchanged // roll back: no version, no audit rows, nothing to publish
		}
		return checkSnapshotBudget(ctx, et, envID)
	})
	if errors.Is(err, errUnchanged) {
		res = admin.ImportResult{Warnings: res.Warnings}
		version, err = db.EnvironmentVersion(ctx, envID)
	}
	res.EnvironmentVersion = version
	return res, err
}

// errUnchanged ends an import whose definitions equal the environment's: its transaction rolls back.
var errUnchanged = apperr.New(apperr.Conflict, "import_unchanged", "the import changes nothing")

// definitionsDigestSQL digests everything an import can change in the environment (live flags, cohorts with
// their members, group types) as stored: equal digests before and after an import mean it changed nothing.
// Versions and update times are left out, since rewriting a flag bumps them.
const definitionsDigestSQL = `SELECT md5(concat_ws(E'\n--\n',
	(SELECT string_agg(concat_ws('|', key, name, description, filters::text, active, ensure_experience_continuity,
		bucketing_identifier, tags::text, evaluation_runtime, evaluation_contexts::text), E'\n' ORDER BY key) FROM flags WHERE environment_id = $1 AND NOT deleted),
	(SELECT string_agg(concat_ws('|', c.id, c.name, c.description, c.is_static, c.filters::text,
		(SELECT md5(coalesce(string_agg(m.member, E'\n' ORDER BY m.member), '')) FROM cohort_members m WHERE m.cohort_id = c.id)),
		E'\n' ORDER BY c.id) FROM cohorts c WHERE c.environment_id = $1),
	(SELECT string_agg(idx || '=' || name, ',' ORDER BY idx) FROM group_types WHERE environment_id = $1)))`

func definitionsDigest(ctx context.Context, tx pgx.Tx, envID int64) (string, error) {
	var d string
	err := tx.QueryRow(ctx, definitionsDigestSQL, envID).Scan(&d)
	return d, err
}

// upsertCohorts creates or updates the cohorts by name and returns the map from their document ids to
// their ids in the environment.
func upsertCohorts(ctx context.Context, et *envTx, in []admin.ExportCohort, res *admin.ImportResult) (map[int64]int64, error) {
	ids := map[int64]int64{}
	existing := map[int64]bool{}
	for _, c := range in {
		var id int64
		err := et.tx.QueryRow(ctx, `SELECT id FROM cohorts WHERE environment_id = $1 AND name = $2 FOR UPDATE`, et.envID, c.Name).Scan(&id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if id, err = insertCohort(ctx, et.tx, et.envID, et.actor, admin.CohortSpec{Name: c.Name, IsStatic: c.IsStatic}); err != nil {
				return nil, err
			}
			res.CohortsCreated++
			if c.Placeholder {
				res.Warnings = append(res.Warnings, admin.PlaceholderWarning(c, id, true))
				et.record("cohort.import", fmt.Sprintf("cohort/%d", id), nil, map[string]any{"name": c.Name, "members": 0, "placeholder": true})
			}
		case err != nil:
			return nil, err
		case c.Placeholder:
			res.Warnings = append(res.Warnings, admin.PlaceholderWarning(c, id, false))
		default:
			existing[id] = true
			res.CohortsUpdated++
		}
		ids[c.ID] = id
	}
	for i, c := range in {
		id := ids[c.ID]
		if c.Placeholder {
			continue // created empty above, or an existing cohort left as it is
		}
		spec := c.CohortSpec
		var err error
		if spec.Filters, err = admin.RewriteCohortFilters(spec.Filters, ids); err != nil {
			return nil, admin.Invalid(flag.Problem{Path: fmt.Sprintf("cohorts[%d].filters", i), Message: fmt.Sprintf("cohort %q: %v", c.Name, err)})
		}
		if _, err := et.tx.Exec(ctx, `UPDATE cohorts SET is_static = $2 WHERE id = $1`, id, spec.IsStatic); err != nil {
			return nil, err
		}
		if err := updateCohortRow(ctx, et.tx, id, et.actor, spec); err != nil {
			return nil, err
		}
		if existing[id] {
			if _, err := et.tx.Exec(ctx, `DELETE FROM cohort_members WHERE cohort_id = $1`, id); err != nil {
				return nil, err
			}
		}
		if err := addMembers(ctx, et.tx, id, c.Members, true); err != nil {
			return nil, err
		}
		et.record("cohort.import", fmt.Sprintf("cohort/%d", id), nil, map[string]any{"name": c.Name, "members": len(c.Members)})
	}
	return ids, nil
}

// upsertFlags creates or replaces the flags by key. Flag dependencies are rewritten from the specs' ids to
// the environment's; a dependency outside specs goes through outside (source id → environment id) when
// given. Cohort references go through cohortIDs.
func upsertFlags(ctx context.Context, et *envTx, specs []admin.FlagSpec, cohortIDs map[int64]int64, outside func(int64) (int64, bool), res *admin.ImportResult) error {
	type target struct {
		cur   admin.FlagRecord
		isNew bool
	}
	targets := make([]target, len(specs))
	flagIDs := map[int64]int64{}
	for i, s := range specs {
		cur, err := getFlag(ctx, et.tx, et.envID, s.Key, "FOR UPDATE")
		if apperr.KindOf(err) == apperr.NotFound {
			placeholder := s
			placeholder.Filters = flag.Filters{Groups: []flag.Condition{}}
			if cur, err = insertFlag(ctx, et, placeholder); err != nil {
				return err
			}
			et.changes = et.changes[:len(et.changes)-1] // recorded below, with the real definition
			targets[i].isNew = true
		} else if err != nil {
			return err
		}
		targets[i].cur = cur
		flagIDs[s.ID] = cur.ID
	}
	mapFlag := func(id int64) (int64, bool) {
		if to, ok := flagIDs[id]; ok {
			return to, true
		}
		if outside != nil {
			return outside(id)
		}
		return 0, false
	}
	for i, s := range specs {
		s.Filters = admin.RewriteFlagFilters(s.Filters, mapFlag, cohortIDs)
		t := targets[i]
		if t.isNew {
			rec, err := scanFlag(et.tx.QueryRow(ctx, `UPDATE flags SET filters = $2 WHERE id = $1 RETURNING `+flagColumns, t.cur.ID, s.Filters))
			if err != nil {
				return err
			}
			et.record("flag.create", "flag/"+s.Key, nil, rec)
			res.FlagsCreated++
			continue
		}
		if _, err := updateFlag(ctx, et, t.cur, s, "flag.import"); err != nil {
			return err
		}
		res.FlagsUpdated++
	}
	return nil
}

// CopyFlags copies the chosen flags of one environment into another in one transaction (one version of the
// target): flags are created or replaced by key, dependencies follow keys, cohort references follow cohort
// names (the target must have a cohort of the same name).
func (db *DB) CopyFlags(ctx context.Context, from, to int64, actor admin.Actor, keys []string) (admin.ImportResult, error) {
	src, err := db.ExportEnvironment(ctx, from)
	if err != nil {
		return admin.ImportResult{}, err
	}
	specs, err := admin.SelectFlags(src, from, keys)
	if err != nil {
		return admin.ImportResult{}, err
	}
	keyOfID := make(map[int64]string, len(src.Flags))
	for _, f := range src.Flags {
		keyOfID[f.ID] = f.Key
	}
	var res admin.ImportResult
	version, err := db.inEnvironment(ctx, to, actor, "postgres.CopyFlags", func(ctx context.Context, et *envTx) error {
		res = admin.ImportResult{Warnings: []admin.ImportWarning{}} // a retried transaction counts from zero again
		cohortIDs, err := cohortsByName(ctx, et.tx, to, src.Cohorts)
		if err != nil {
			return err
		}
		outside := func(id int64) (int64, bool) {
			var dst int64
			k, ok := keyOfID[id]
			if !ok || et.tx.QueryRow(ctx, `SELECT id FROM flags WHERE environment_id = $1 AND key = $2 AND NOT deleted`, to, k).Scan(&dst) != nil {
				return 0, false
			}
			return dst, true
		}
		if err := upsertFlags(ctx, et, specs, cohortIDs, outside, &res); err != nil {
			return err
		}
		return checkSnapshotBudget(ctx, et, to)
	})
	res.EnvironmentVersion = version
	return res, err
}

func cohortsByName(ctx context.Context, tx pgx.Tx, envID int64, src []admin.ExportCohort) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, c := range src {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM cohorts WHERE environment_id = $1 AND name = $2`, envID, c.Name).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[c.ID] = id
	}
	return out, nil
}
