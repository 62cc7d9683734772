package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/halyard-flags/halyard/infra/migrations"
	"github.com/jackc/pgx/v5"
)

// migrationLock is the advisory lock key that serializes migrations across writers starting at once.
const migrationLock = 0x68616c7961726401 // "halyard" + 1

// Migrate applies every embedded migration not applied yet, in order, each in its own transaction, under a
// session advisory lock so several writers may start at the same time.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres.Migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return nil, fmt.Errorf("postgres.Migrate: lock: %w", err)
	}
	defer cleanUp(ctx, conn, `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	// A migration's DDL may rightly run longer than the pool's statement_timeout on a large database.
	if _, err := conn.Exec(ctx, `SET statement_timeout = 0`); err != nil {
		return nil, fmt.Errorf("postgres.Migrate: %w", err)
	}
	defer cleanUp(ctx, conn, `RESET statement_timeout`)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("postgres.Migrate: %w", err)
	}
	files, err := migrationFiles()
	if err != nil {
		return nil, err
	}
	for _, m := range files {
		done, err := applyMigration(ctx, conn.Conn(), m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

type migration struct {
	version int
	name    string
}

func migrationFiles() ([]migration, error) {
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(n, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("postgres.Migrate: migration %q has no number: %w", n, err)
		}
		out = append(out, migration{version: v, name: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

func applyMigration(ctx context.Context, conn *pgx.Conn, m migration) (bool, error) {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&exists); err != nil || exists {
		return false, err
	}
	sql, err := fs.ReadFile(migrations.FS, m.name)
	if err != nil {
		return false, err
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres.Migrate(%q): %w", m.name, err)
	}
	return true, nil
}
