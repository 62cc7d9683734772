package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/jackc/pgx/v5"
)

// ExportFormat names Halyard's export document.
const ExportFormat = "halyard-export/v1"

// Export is an environment's definitions, as GET …/export returns them and POST …/import takes them back.
// Ids are the source environment's: an import maps them to its own.
type Export struct {
	Format             string            `json:"format"`
	EnvironmentID      int64             `json:"environment_id,omitempty"`
	EnvironmentVersion int64             `json:"environment_version,omitempty"`
	GroupTypes         map[string]string `json:"group_types"`
	Cohorts            []ExportCohort    `json:"cohorts"`
	Flags              []ExportFlag      `json:"flags"`
}

// ExportCohort is one cohort of an export.
type ExportCohort struct {
	ID int64 `json:"id"`
	CohortSpec
	Members []string `json:"members,omitempty"`
	// Placeholder stands for a cohort a PostHog payload references but leaves out (a static cohort): the
	// import creates it empty and static, or maps to the cohort of that name and leaves it as it is, and
	// reports it in ImportResult.Warnings. UsedBy lists the flags and cohorts referencing it.
	Placeholder bool     `json:"-"`
	UsedBy      []string `json:"-"`
}

// ExportFlag is one flag of an export.
type ExportFlag struct {
	ID                         int64        `json:"id"`
	Key                        string       `json:"key"`
	Name                       string       `json:"name"`
	Description                string       `json:"description"`
	Tags                       []string     `json:"tags"`
	Filters                    flag.Filters `json:"filters"`
	Active                     bool         `json:"active"`
	EnsureExperienceContinuity bool         `json:"ensure_experience_continuity"`
	BucketingIdentifier        string       `json:"bucketing_identifier,omitempty"`
}

// Spec returns the flag as a FlagSpec.
func (f ExportFlag) Spec() FlagSpec {
	return FlagSpec{Flag: flag.Flag{ID: f.ID, Key: f.Key, Name: f.Name, Description: f.Description, Filters: f.Filters,
		Active: f.Active, EnsureExperienceContinuity: f.EnsureExperienceContinuity, BucketingIdentifier: f.BucketingIdentifier},
		Tags: f.Tags}
}

// ExportEnvironment reads every definition of the environment at one version.
func (db *DB) ExportEnvironment(ctx context.Context, envID int64) (*Export, error) {
	out := &Export{Format: ExportFormat, EnvironmentID: envID, GroupTypes: map[string]string{}, Cohorts: []ExportCohort{}, Flags: []ExportFlag{}}
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
		cohorts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CohortRecord, error) { return scanCohort(r) })
		if err != nil {
			return err
		}
		withMembers, err := readCohorts(ctx, tx, envID)
		if err != nil {
			return err
		}
		for i, c := range cohorts {
			out.Cohorts = append(out.Cohorts, ExportCohort{ID: c.ID, CohortSpec: c.CohortSpec, Members: withMembers[i].Members})
		}
		rows, err = tx.Query(ctx, `SELECT `+flagColumns+` FROM flags WHERE environment_id = $1 AND NOT deleted ORDER BY key`, envID)
		if err != nil {
			return err
		}
		recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FlagRecord, error) { return scanFlag(r) })
		for _, r := range recs {
			out.Flags = append(out.Flags, ExportFlag{ID: r.ID, Key: r.Key, Name: r.Name, Description: r.Description, Tags: r.Tags,
				Filters: r.Filters, Active: r.Active, EnsureExperienceContinuity: r.EnsureExperienceContinuity,
				BucketingIdentifier: r.BucketingIdentifier})
		}
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, envNotFound(envID)
	}
	return out, asAppErr(err, "postgres.ExportEnvironment")
}

// ImportResult counts what an import or a copy did.
type ImportResult struct {
	EnvironmentVersion int64 `json:"environment_version"`
	FlagsCreated       int   `json:"flags_created"`
	FlagsUpdated       int   `json:"flags_updated"`
	CohortsCreated     int   `json:"cohorts_created"`
	CohortsUpdated     int   `json:"cohorts_updated"`
	// Warnings are what the import did that the caller should know about; never null.
	Warnings []ImportWarning `json:"warnings"`
}

// ImportWarning is one thing an import did on the caller's behalf.
type ImportWarning struct {
	Code     string   `json:"code"`      // static_cohort_placeholder
	CohortID int64    `json:"cohort_id"` // the environment's cohort
	Name     string   `json:"name"`
	Flags    []string `json:"flags"` // the flags (and cohorts) referencing it
	Message  string   `json:"message"`
}

// Import upserts every definition of doc into the environment in one transaction producing one version:
// group types by index, cohorts by name, flags by key. References between them (flag dependencies, cohort
// filters) are rewritten from the document's ids to the environment's.
//
// A document with nothing in it changes nothing: it answers the environment's current version without
// producing a new one (and so publishes nothing).
func (db *DB) Import(ctx context.Context, envID int64, actor Actor, doc *Export) (ImportResult, error) {
	var res ImportResult
	if len(doc.GroupTypes) == 0 && len(doc.Cohorts) == 0 && len(doc.Flags) == 0 {
		v, err := db.EnvironmentVersion(ctx, envID)
		res.EnvironmentVersion, res.Warnings = v, []ImportWarning{}
		return res, err
	}
	version, err := db.inEnvironment(ctx, envID, actor, "postgres.Import", func(ctx context.Context, et *envTx) error {
		res = ImportResult{Warnings: []ImportWarning{}} // a retried transaction counts from zero again
		before, err := definitionsDigest(ctx, et.tx, envID)
		if err != nil {
			return err
		}
		types := map[int]string{}
		for k, n := range doc.GroupTypes {
			i, err := strconv.Atoi(k)
			if err != nil {
				return apperr.New(apperr.Invalid, "validation_failed", "group type index %q is not a number", k)
			}
			types[i] = n
		}
		if err := writeGroupTypes(ctx, et.tx, envID, types, false); err != nil {
			return err
		}
		cohortIDs, err := upsertCohorts(ctx, et, doc.Cohorts, &res)
		if err != nil {
			return err
		}
		specs := make([]FlagSpec, len(doc.Flags))
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
		return checkSnapshotBudget(ctx, et.tx, envID)
	})
	if errors.Is(err, errUnchanged) {
		res = ImportResult{Warnings: res.Warnings}
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
		bucketing_identifier, tags::text), E'\n' ORDER BY key) FROM flags WHERE environment_id = $1 AND NOT deleted),
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
func upsertCohorts(ctx context.Context, et *envTx, in []ExportCohort, res *ImportResult) (map[int64]int64, error) {
	ids := map[int64]int64{}
	existing := map[int64]bool{}
	for _, c := range in {
		var id int64
		err := et.tx.QueryRow(ctx, `SELECT id FROM cohorts WHERE environment_id = $1 AND name = $2 FOR UPDATE`, et.envID, c.Name).Scan(&id)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if id, err = insertCohort(ctx, et.tx, et.envID, et.actor, CohortSpec{Name: c.Name, IsStatic: c.IsStatic}); err != nil {
				return nil, err
			}
			res.CohortsCreated++
			if c.Placeholder {
				res.Warnings = append(res.Warnings, ImportWarning{Code: "static_cohort_placeholder", CohortID: id, Name: c.Name, Flags: c.UsedBy,
					Message: fmt.Sprintf("the payload references cohort %d without defining it (PostHog leaves static cohorts out): "+
						"created the empty static cohort %q (id %d); upload its members with PUT …/cohorts/%d/members", c.ID, c.Name, id, id)})
				et.record("cohort.import", fmt.Sprintf("cohort/%d", id), nil, map[string]any{"name": c.Name, "members": 0, "placeholder": true})
			}
		case err != nil:
			return nil, err
		case c.Placeholder:
			res.Warnings = append(res.Warnings, ImportWarning{Code: "static_cohort_placeholder", CohortID: id, Name: c.Name, Flags: c.UsedBy,
				Message: fmt.Sprintf("the payload references cohort %d without defining it (PostHog leaves static cohorts out): "+
					"it maps to the existing cohort %q (id %d), left as it is", c.ID, c.Name, id)})
		default:
			existing[id] = true
			res.CohortsUpdated++
		}
		ids[c.ID] = id
	}
	for _, c := range in {
		id := ids[c.ID]
		if c.Placeholder {
			continue // created empty above, or an existing cohort left as it is
		}
		spec := c.CohortSpec
		var err error
		if spec.Filters, err = rewriteCohortFilters(spec.Filters, ids); err != nil {
			return nil, apperr.New(apperr.Invalid, "validation_failed", "cohort %q: %v", c.Name, err)
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
func upsertFlags(ctx context.Context, et *envTx, specs []FlagSpec, cohortIDs map[int64]int64, outside func(int64) (int64, bool), res *ImportResult) error {
	type target struct {
		cur   FlagRecord
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
		s.Filters = rewriteFlagFilters(s.Filters, mapFlag, cohortIDs)
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

// rewriteFlagFilters returns a copy of filters whose flag dependencies and cohort references point to the
// target environment's ids. References with no mapping are kept as they are, and validation refuses them
// when they name nothing in the environment.
func rewriteFlagFilters(in flag.Filters, flagIDs func(int64) (int64, bool), cohortIDs map[int64]int64) flag.Filters {
	var out flag.Filters
	b, _ := json.Marshal(in)
	_ = json.Unmarshal(b, &out) // a deep copy: the caller's filters stay untouched
	f := flag.Flag{Filters: out}
	eachFlagProperty(&f, func(p *flag.Property) {
		switch p.Type {
		case "flag":
			if id, err := strconv.ParseInt(p.Key, 10, 64); err == nil {
				if to, ok := flagIDs(id); ok {
					p.Key = strconv.FormatInt(to, 10)
				}
			}
		case "cohort":
			rewriteCohortRef(p, cohortIDs)
		}
	})
	return f.Filters
}

func rewriteCohortRef(p *flag.Property, cohortIDs map[int64]int64) {
	if id, ok := flag.CohortID(p.Value); ok {
		if to, ok := cohortIDs[id]; ok {
			p.Value = to
		}
	}
}

// rewriteCohortFilters maps the nested cohort references of a property cohort's tree and stores the tree in
// PostHog's database shape, {"properties": tree}.
func rewriteCohortFilters(filters json.RawMessage, cohortIDs map[int64]int64) (json.RawMessage, error) {
	c := flag.Cohort{Filters: filters}
	tree, err := c.PropertyTree()
	if err != nil || tree == nil {
		return filters, err
	}
	eachTreeProperty(tree, func(p *flag.Property) {
		if p.Type == "cohort" {
			rewriteCohortRef(p, cohortIDs)
		}
	})
	return json.Marshal(map[string]any{"properties": tree})
}

// CopyFlags copies the chosen flags of one environment into another in one transaction (one version of the
// target): flags are created or replaced by key, dependencies follow keys, cohort references follow cohort
// names (the target must have a cohort of the same name).
func (db *DB) CopyFlags(ctx context.Context, from, to int64, actor Actor, keys []string) (ImportResult, error) {
	src, err := db.ExportEnvironment(ctx, from)
	if err != nil {
		return ImportResult{}, err
	}
	byKey := map[string]ExportFlag{}
	keyOfID := map[int64]string{}
	for _, f := range src.Flags {
		byKey[f.Key], keyOfID[f.ID] = f, f.Key
	}
	specs := make([]FlagSpec, 0, len(keys))
	var missing []flag.Problem
	for i, k := range keys {
		f, ok := byKey[k]
		if !ok {
			missing = append(missing, flag.Problem{Path: fmt.Sprintf("keys[%d]", i), Message: fmt.Sprintf("flag %q does not exist in environment %d", k, from)})
			continue
		}
		specs = append(specs, f.Spec())
	}
	if len(missing) > 0 {
		return ImportResult{}, Invalid(missing)
	}
	var res ImportResult
	version, err := db.inEnvironment(ctx, to, actor, "postgres.CopyFlags", func(ctx context.Context, et *envTx) error {
		res = ImportResult{Warnings: []ImportWarning{}} // a retried transaction counts from zero again
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
		return checkSnapshotBudget(ctx, et.tx, to)
	})
	res.EnvironmentVersion = version
	return res, err
}

func cohortsByName(ctx context.Context, tx pgx.Tx, envID int64, src []ExportCohort) (map[int64]int64, error) {
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
