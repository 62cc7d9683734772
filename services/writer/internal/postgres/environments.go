package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
)

// Project groups environments.
type Project struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Environment is one environment of a project. Keys are only filled when they are just created: the server key
// is shown once and stored as a hash.
type Environment struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	Name      string    `json:"name"`
	Version   int64     `json:"version"`
	SDKKey    string    `json:"sdk_key,omitempty"`
	ServerKey string    `json:"server_key,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateProject inserts a project.
func (db *DB) CreateProject(ctx context.Context, actor Actor, name string) (Project, error) {
	p := Project{Name: name}
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO projects (name) VALUES ($1) RETURNING id, created_at`, name).
			Scan(&p.ID, &p.CreatedAt); err != nil {
			return err
		}
		return audit(ctx, tx, nil, nil, actor, change{action: "project.create", resource: fmt.Sprintf("project/%d", p.ID), after: p})
	})
	if err != nil {
		return p, apperr.Wrap(err, "postgres.CreateProject")
	}
	return p, nil
}

// ListProjects returns every project by id.
func (db *DB) ListProjects(ctx context.Context) ([]Project, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id, name, created_at FROM projects ORDER BY id`)
	if err != nil {
		return nil, apperr.Wrap(err, "postgres.ListProjects")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Project])
	if err != nil {
		return nil, apperr.Wrap(err, "postgres.ListProjects")
	}
	return out, nil
}

// GetProject returns one project.
func (db *DB) GetProject(ctx context.Context, id int64) (Project, error) {
	var p Project
	err := db.Pool.QueryRow(ctx, `SELECT id, name, created_at FROM projects WHERE id = $1`, id).Scan(&p.ID, &p.Name, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.New(apperr.NotFound, "project_not_found", "project %d does not exist", id)
	}
	if err != nil {
		return p, apperr.Wrap(err, "postgres.GetProject")
	}
	return p, nil
}

// CreateEnvironment inserts an environment with a fresh SDK key and server key, and queues its first (empty)
// snapshot so evaluators know the environment's keys before any flag exists.
func (db *DB) CreateEnvironment(ctx context.Context, projectID int64, name string, actor Actor) (Environment, error) {
	env := Environment{ProjectID: projectID, Name: name, SDKKey: NewKey("phc_"), ServerKey: NewKey("phs_")}
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO environments (project_id, name, version) VALUES ($1, $2, 1)
			RETURNING id, version, created_at`, projectID, name).Scan(&env.ID, &env.Version, &env.CreatedAt)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO environment_keys (environment_id, kind, value) VALUES ($1, 'sdk', $2), ($1, 'server', $3)`,
			env.ID, env.SDKKey, HashKey(env.ServerKey)); err != nil {
			return err
		}
		return recordChangeAt(ctx, tx, env.ID, env.Version, actor,
			change{action: "environment.create", resource: "environment/" + name, after: env.withoutKeys()})
	})
	switch {
	case isForeignKeyViolation(err):
		return env, apperr.New(apperr.NotFound, "project_not_found", "project %d does not exist", projectID)
	case isUniqueViolation(err):
		return env, apperr.New(apperr.Conflict, "environment_exists", "project %d already has an environment named %q", projectID, name)
	case err != nil:
		return env, apperr.Wrap(err, "postgres.CreateEnvironment")
	}
	db.committed(env.ID)
	return env, nil
}

func (e Environment) withoutKeys() Environment {
	e.SDKKey, e.ServerKey = "", ""
	return e
}

// NewKey returns prefix followed by 32 random base62 characters (about 190 bits).
func NewKey(prefix string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the platform has no entropy: nothing safe to do
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

// HashKey is how secret keys are stored and how they travel in snapshots.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// EnvironmentVersion returns the environment's current version.
func (db *DB) EnvironmentVersion(ctx context.Context, envID int64) (int64, error) {
	var v int64
	err := db.Pool.QueryRow(ctx, `SELECT version FROM environments WHERE id = $1`, envID).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "environment_not_found", "environment %d does not exist", envID)
	}
	if err != nil {
		return 0, apperr.Wrap(err, "postgres.EnvironmentVersion")
	}
	return v, nil
}
