package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// reconcileLockSpace namespaces the one advisory lock reconcilers take (key 0), apart from the publish locks.
const reconcileLockSpace = 0x72636e63 // "rcnc"

// Reconcile holds the writers' reconcile lock (only one writer reconciles at a time) while it reads every
// environment's current version, calls check with them (environment id → version), and has each environment
// check returns published again through the normal outbox path: an outbox row at its current version, unless
// one is pending already, then the after-commit hook, as for a change this writer committed. It reports
// locked false, having done nothing, when another writer is reconciling.
func (o *Outbox) Reconcile(ctx context.Context, check func(current map[int64]int64) ([]int64, error)) (locked bool, err error) {
	conn, err := o.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres.Outbox.Reconcile: %w", err)
	}
	defer conn.Release()
	if locked, err := tryLock(ctx, conn, reconcileLockSpace, 0); err != nil || !locked {
		return false, err
	}
	defer unlock(ctx, conn, reconcileLockSpace, 0)
	current, err := versions(ctx, conn.Conn())
	if err != nil {
		return true, err
	}
	stale, err := check(current)
	if err != nil || len(stale) == 0 {
		return true, err
	}
	if _, err := conn.Exec(ctx, `INSERT INTO outbox (environment_id, environment_version)
		SELECT e.id, e.version FROM environments e WHERE e.id = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.environment_id = e.id AND o.published_at IS NULL)`, stale); err != nil {
		return true, fmt.Errorf("postgres.Outbox.Reconcile: republish %d environments: %w", len(stale), err)
	}
	for _, env := range stale {
		o.commit(env)
	}
	return true, nil
}

// versions reads every environment's current version.
func versions(ctx context.Context, conn *pgx.Conn) (map[int64]int64, error) {
	rows, err := conn.Query(ctx, `SELECT id, version FROM environments`)
	if err != nil {
		return nil, fmt.Errorf("postgres.versions: %w", err)
	}
	current := map[int64]int64{}
	var id, version int64
	_, err = pgx.ForEachRow(rows, []any{&id, &version}, func() error { current[id] = version; return nil })
	if err != nil {
		return nil, fmt.Errorf("postgres.versions: %w", err)
	}
	return current, nil
}

func tryLock(ctx context.Context, conn *pgxpool.Conn, space, key int32) (bool, error) {
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, space, key).Scan(&got); err != nil {
		return false, fmt.Errorf("postgres: advisory lock (%d, %d): %w", space, key, err)
	}
	return got, nil
}

func unlock(ctx context.Context, conn *pgxpool.Conn, space, key int32) {
	cleanUp(ctx, conn, `SELECT pg_advisory_unlock($1, $2)`, space, key)
}

// Catalog reads the last publication recorded for every environment on stream (environment id → version).
func (o *Outbox) Catalog(ctx context.Context, stream string) (map[int64]int64, error) {
	rows, err := o.pool.Query(ctx, `SELECT environment_id, version FROM published_snapshots WHERE stream = $1`, stream)
	if err != nil {
		return nil, fmt.Errorf("postgres.Outbox.Catalog: %w", err)
	}
	out := map[int64]int64{}
	var id, version int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &version}, func() error { out[id] = version; return nil }); err != nil {
		return nil, fmt.Errorf("postgres.Outbox.Catalog: %w", err)
	}
	return out, nil
}
