package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
)

// CreateProject inserts a project.
func (db *DB) CreateProject(ctx context.Context, actor admin.Actor, name string) (admin.Project, error) {
	p := admin.Project{Name: name}
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO projects (name) VALUES ($1) RETURNING id, created_at`, name).
			Scan(&p.ID, &p.CreatedAt); err != nil {
			return err
		}
		return audit(ctx, tx, nil, nil, actor, change{action: "project.create", resource: fmt.Sprintf("project/%d", p.ID), after: p})
	})
	if err != nil {
		return p, asAppErr(err, "postgres.CreateProject")
	}
	return p, nil
}

// ListProjects returns every project by id.
func (db *DB) ListProjects(ctx context.Context) ([]admin.Project, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id, name, created_at FROM projects ORDER BY id`)
	if err != nil {
		return nil, asAppErr(err, "postgres.ListProjects")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[admin.Project])
	if err != nil {
		return nil, asAppErr(err, "postgres.ListProjects")
	}
	return out, nil
}

// GetProject returns one project.
func (db *DB) GetProject(ctx context.Context, id int64) (admin.Project, error) {
	var p admin.Project
	err := db.Pool.QueryRow(ctx, `SELECT id, name, created_at FROM projects WHERE id = $1`, id).Scan(&p.ID, &p.Name, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, admin.ProjectNotFound(id)
	}
	if err != nil {
		return p, asAppErr(err, "postgres.GetProject")
	}
	return p, nil
}

// CreateEnvironment inserts an environment with a fresh SDK key and server key, and queues its first (empty)
// snapshot so evaluators know the environment's keys before any flag exists.
func (db *DB) CreateEnvironment(ctx context.Context, projectID int64, name string, actor admin.Actor) (admin.Environment, error) {
	sdkKey, _ := admin.NewEnvironmentKey(admin.KindSDK)
	serverKey, serverHash := admin.NewEnvironmentKey(admin.KindServer)
	env := admin.Environment{ProjectID: projectID, Name: name, SDKKey: sdkKey, ServerKey: serverKey}
	ctx, span := startCommit(ctx, "postgres.CreateEnvironment")
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO environments (project_id, name, version) VALUES ($1, $2, 1)
			RETURNING id, version, created_at`, projectID, name).Scan(&env.ID, &env.Version, &env.CreatedAt)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO environment_keys (environment_id, kind, value) VALUES ($1, 'sdk', $2), ($1, 'server', $3)`,
			env.ID, sdkKey, serverHash); err != nil {
			return err
		}
		return recordChangeAt(ctx, tx, env.ID, env.Version, actor,
			change{action: "environment.create", resource: "environment/" + name, after: env.WithoutKeys()})
	})
	endCommit(span, env.ID, env.Version, err)
	switch {
	case isForeignKeyViolation(err):
		return env, admin.ProjectNotFound(projectID)
	case isUniqueViolation(err):
		return env, apperr.New(apperr.Conflict, "environment_exists", "project %d already has an environment named %q", projectID, name)
	case err != nil:
		return env, asAppErr(err, "postgres.CreateEnvironment")
	}
	db.committed(env.ID)
	return env, nil
}

// EnvironmentVersion returns the environment's current version.
func (db *DB) EnvironmentVersion(ctx context.Context, envID int64) (int64, error) {
	var v int64
	err := db.Pool.QueryRow(ctx, `SELECT version FROM environments WHERE id = $1`, envID).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, admin.EnvironmentNotFound(envID)
	}
	if err != nil {
		return 0, asAppErr(err, "postgres.EnvironmentVersion")
	}
	return v, nil
}

// UpdateEnvironment changes the environment's name or appearance to what edit returns from its current
// row (edit may refuse, e.g. a stale If-Match). It is a change of the environment like any other: one
// version, an environment.update audit row with before and after, one outbox row. The answer carries the
// version produced.
func (db *DB) UpdateEnvironment(ctx context.Context, envID int64, actor admin.Actor, edit func(cur admin.Environment) (admin.Environment, error)) (admin.Environment, error) {
	var next admin.Environment
	version, err := db.change(ctx, envID, actor, "postgres.UpdateEnvironment", func(et *envTx) error {
		cur, err := scanEnvironment(et.tx.QueryRow(ctx, `SELECT `+environmentColumns+` FROM environments WHERE id = $1 FOR UPDATE`, envID))
		if errors.Is(err, pgx.ErrNoRows) {
			return admin.EnvironmentNotFound(envID)
		}
		if err != nil {
			return err
		}
		if next, err = edit(cur); err != nil {
			return err
		}
		next.Version = cur.Version + 1 // the row is locked: this change's version bump is the next one
		_, err = et.tx.Exec(ctx, `UPDATE environments SET name = $2, label = $3, color = $4, protected = $5 WHERE id = $1`,
			envID, next.Name, next.Label, next.Color, next.Protected)
		if isUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "environment_exists", "project %d already has an environment named %q", cur.ProjectID, next.Name)
		}
		if err != nil {
			return err
		}
		et.record("environment.update", "environment/"+cur.Name, cur.WithoutKeys(), next.WithoutKeys())
		return nil
	})
	if err != nil {
		return admin.Environment{}, err
	}
	next.Version = version
	return next, nil
}

// EnvironmentVersions returns the current version of each of the environments that exist among envIDs,
// in one query: the admin API's event streams poll it for every environment they follow.
func (db *DB) EnvironmentVersions(ctx context.Context, envIDs []int64) (map[int64]int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id, version FROM environments WHERE id = ANY($1)`, envIDs)
	if err != nil {
		return nil, asAppErr(err, "postgres.EnvironmentVersions")
	}
	out := make(map[int64]int64, len(envIDs))
	var id, version int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &version}, func() error { out[id] = version; return nil }); err != nil {
		return nil, asAppErr(err, "postgres.EnvironmentVersions")
	}
	return out, nil
}
