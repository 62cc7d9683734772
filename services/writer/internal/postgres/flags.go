package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/jackc/pgx/v5"
)

// FlagSpec is what an admin defines about a flag: the definition and its tags.
type FlagSpec struct {
	flag.Flag
	Tags []string `json:"tags"`
}

// FlagRecord is a stored flag: its definition and who changed it when.
type FlagRecord struct {
	FlagSpec
	EnvironmentID int64      `json:"environment_id"`
	CreatedBy     string     `json:"created_by"`
	UpdatedBy     string     `json:"updated_by"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DeletedAt     *time.Time `json:"deleted_at,omitempty"`
}

const flagColumns = `id, environment_id, key, name, description, filters, active, deleted,
	ensure_experience_continuity, bucketing_identifier, version, created_by, updated_by, created_at, updated_at,
	tags, deleted_at`

func scanFlag(row pgx.Row) (FlagRecord, error) {
	var r FlagRecord
	err := row.Scan(r.columns()...)
	r.scanned()
	return r, err
}

// columns are the scan destinations of flagColumns, in their order.
func (r *FlagRecord) columns() []any {
	return []any{&r.ID, &r.EnvironmentID, &r.Key, &r.Name, &r.Description, &r.Filters, &r.Active, &r.Deleted,
		&r.EnsureExperienceContinuity, &r.BucketingIdentifier, &r.Version, &r.CreatedBy, &r.UpdatedBy, &r.CreatedAt,
		&r.UpdatedAt, &r.Tags, &r.DeletedAt}
}

// scanned completes a record read from a row: no tags is an empty list, not null.
func (r *FlagRecord) scanned() {
	if r.Tags == nil {
		r.Tags = []string{}
	}
}

// FlagQuery selects a page of flags.
type FlagQuery struct {
	Search  string // substring of the key or the name, case-insensitive
	Active  *bool
	Tag     string
	Deleted bool   // list deleted flags instead of live ones
	After   string // the key and id the previous page ended with
	AfterID int64
	Limit   int
}

// ListFlags returns a page of the environment's flags ordered by key and id (deleted flags may repeat a
// key), whether more follow, and the environment version the page reflects.
func (db *DB) ListFlags(ctx context.Context, envID int64, q FlagQuery) (page []FlagRecord, more bool, version int64, err error) {
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
		page, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (FlagRecord, error) { return scanFlag(r) })
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, 0, envNotFound(envID)
	}
	if err != nil {
		return nil, false, 0, apperr.Wrap(err, "postgres.ListFlags")
	}
	if len(page) > q.Limit {
		page, more = page[:q.Limit], true
	}
	return page, more, version, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func envNotFound(envID int64) error {
	return apperr.New(apperr.NotFound, "environment_not_found", "environment %d does not exist", envID)
}

// GetFlag returns one flag that is not deleted, and the environment version it was read at.
func (db *DB) GetFlag(ctx context.Context, envID int64, key string) (rec FlagRecord, version int64, err error) {
	err = db.Transact(ctx, pgx.RepeatableRead, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM environments WHERE id = $1`, envID).Scan(&version); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return envNotFound(envID)
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

func getFlag(ctx context.Context, q querier, envID int64, key, suffix string) (FlagRecord, error) {
	r, err := scanFlag(q.QueryRow(ctx, `SELECT `+flagColumns+` FROM flags
		WHERE environment_id = $1 AND key = $2 AND NOT deleted `+suffix, envID, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, flagNotFound(envID, key)
	}
	return r, err
}

func flagNotFound(envID int64, key string) error {
	return apperr.New(apperr.NotFound, "flag_not_found", "flag %q does not exist in environment %d", key, envID)
}

// CreateFlag inserts a flag and records the change; it returns the stored flag and the environment version.
func (db *DB) CreateFlag(ctx context.Context, envID int64, actor Actor, f FlagSpec) (rec FlagRecord, version int64, err error) {
	version, err = db.change(ctx, envID, actor, "postgres.CreateFlag", func(et *envTx) error {
		return flagValidated(ctx, et, nil, &f.Flag, func() (err error) {
			rec, err = insertFlag(ctx, et, f)
			return err
		})
	})
	return rec, version, err
}

func insertFlag(ctx context.Context, et *envTx, f FlagSpec) (FlagRecord, error) {
	rec, err := scanFlag(et.tx.QueryRow(ctx, `INSERT INTO flags (environment_id, key, name, description, filters, active,
		ensure_experience_continuity, bucketing_identifier, version, created_by, updated_by, tags)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10) RETURNING `+flagColumns,
		et.envID, f.Key, f.Name, f.Description, f.Filters, f.Active, f.EnsureExperienceContinuity, f.BucketingIdentifier,
		et.actor.Name, tagsOf(f.Tags)))
	if isUniqueViolation(err) {
		return rec, apperr.New(apperr.Conflict, "flag_exists", "flag %q already exists in environment %d", f.Key, et.envID)
	}
	if isForeignKeyViolation(err) {
		return rec, envNotFound(et.envID)
	}
	if err != nil {
		return rec, err
	}
	et.record("flag.create", "flag/"+f.Key, nil, rec)
	return rec, nil
}

func tagsOf(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

// UpdateFlag locks the flag, lets edit compute its new definition from the current one (edit may refuse with
// an *apperr.Error), stores it and records the change as action (flag.update, flag.replace, flag.toggle).
func (db *DB) UpdateFlag(ctx context.Context, envID int64, actor Actor, key, action string, edit func(cur FlagRecord) (FlagSpec, error)) (rec FlagRecord, version int64, err error) {
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
func lockFlag(ctx context.Context, tx pgx.Tx, envID int64, key string) (FlagRecord, error) {
	cur, err := getFlag(ctx, tx, envID, key, "FOR UPDATE")
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == "flag_not_found" {
		if ok, xerr := environmentExists(ctx, tx, envID); xerr != nil {
			return cur, xerr
		} else if !ok {
			return cur, envNotFound(envID)
		}
	}
	return cur, err
}

func updateFlag(ctx context.Context, et *envTx, cur FlagRecord, next FlagSpec, action string) (FlagRecord, error) {
	rec, err := scanFlag(et.tx.QueryRow(ctx, `UPDATE flags SET name = $2, description = $3, filters = $4, active = $5,
		ensure_experience_continuity = $6, bucketing_identifier = $7, version = version + 1, updated_by = $8,
		updated_at = now(), tags = $9 WHERE id = $1 RETURNING `+flagColumns,
		cur.ID, next.Name, next.Description, next.Filters, next.Active, next.EnsureExperienceContinuity,
		next.BucketingIdentifier, et.actor.Name, tagsOf(next.Tags)))
	if err != nil {
		return rec, err
	}
	et.record(action, "flag/"+cur.Key, cur, rec)
	return rec, nil
}

// DeleteFlag soft-deletes a flag, unless check refuses or another flag depends on it, and records the
// change; it returns the environment version.
func (db *DB) DeleteFlag(ctx context.Context, envID int64, actor Actor, key string, check func(FlagRecord) error) (int64, error) {
	return db.change(ctx, envID, actor, "postgres.DeleteFlag", func(et *envTx) error {
		cur, err := lockFlag(ctx, et.tx, envID, key) // the flag's row before the environment's: see mutate.go
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
		return lockedAndValidated(ctx, et, func() error {
			if err := refuseIfDependedOn(ctx, et.tx, envID, cur); err != nil {
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

// FlagInUse is the detail of a refused flag deletion: the live flags that depend on it.
type FlagInUse struct {
	Flags []string `json:"flags"`
}

func refuseIfDependedOn(ctx context.Context, tx pgx.Tx, envID int64, target FlagRecord) error {
	flags, err := readFlags(ctx, tx, envID)
	if err != nil {
		return err
	}
	use := FlagInUse{Flags: []string{}}
	id := strconv.FormatInt(target.ID, 10)
	for i := range flags {
		found := false
		eachFlagProperty(&flags[i], func(p *flag.Property) { found = found || (p.Type == "flag" && p.Key == id) })
		if found && flags[i].ID != target.ID {
			use.Flags = append(use.Flags, flags[i].Key)
		}
	}
	if len(use.Flags) == 0 {
		return nil
	}
	e := apperr.New(apperr.Conflict, "flag_in_use", "flags %v depend on %q; change or delete them first", use.Flags, target.Key)
	e.Details = use
	return e
}

// RestoreFlag brings back the most recently deleted flag with this key; it is a conflict when a live flag
// has the key again.
func (db *DB) RestoreFlag(ctx context.Context, envID int64, actor Actor, key string) (rec FlagRecord, version int64, err error) {
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
