package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/jackc/pgx/v5"
)

// publishLockSpace namespaces the per-environment advisory locks publishers take.
const publishLockSpace = 0x68616c79 // "haly"

// PendingEnvironments lists environments with outbox rows not yet published.
func (db *DB) PendingEnvironments(ctx context.Context) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT DISTINCT environment_id FROM outbox WHERE published_at IS NULL ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("postgres.PendingEnvironments: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// ErrLocked means another publisher holds the environment right now.
var ErrLocked = errors.New("environment is being published by another writer")

// WithPublishLock runs fn while holding the environment's publish lock, a session advisory lock on one pooled
// connection. Only one writer at a time publishes an environment, and since each reads the snapshot after
// taking the lock, a later publisher never reads an older version than an earlier one published.
func (db *DB) WithPublishLock(ctx context.Context, envID int64, fn func(conn *pgx.Conn) error) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, int32(publishLockSpace), int32(envID)).Scan(&got); err != nil {
		return err
	}
	if !got {
		return ErrLocked
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, int32(publishLockSpace), int32(envID)); err != nil {
			conn.Conn().Close(context.Background()) // closing the session releases the lock for sure
		}
	}()
	return fn(conn.Conn())
}

// ReadSnapshot reads the environment's complete state at one consistent version.
func ReadSnapshot(ctx context.Context, conn *pgx.Conn, envID int64) (*wire.Snapshot, error) {
	s := &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: envID}
	err := pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT project_id, version FROM environments WHERE id = $1`, envID).Scan(&s.ProjectID, &s.Version); err != nil {
			return err
		}
		var err error
		if s.Keys, err = readKeys(ctx, tx, envID); err != nil {
			return err
		}
		if s.Flags, err = readFlags(ctx, tx, envID); err != nil {
			return err
		}
		if s.Cohorts, err = readCohorts(ctx, tx, envID); err != nil {
			return err
		}
		s.GroupTypes, err = readGroupTypes(ctx, tx, envID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres.ReadSnapshot(%d): %w", envID, err)
	}
	return s, nil
}

func readKeys(ctx context.Context, tx pgx.Tx, envID int64) ([]wire.Key, error) {
	rows, err := tx.Query(ctx, `SELECT kind, value, coalesce((extract(epoch FROM expires_at) * 1000)::bigint, 0)
		FROM environment_keys WHERE environment_id = $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY id`, envID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (wire.Key, error) {
		var k wire.Key
		err := r.Scan(&k.Kind, &k.Value, &k.ExpiresAt)
		return k, err
	})
}

func readFlags(ctx context.Context, tx pgx.Tx, envID int64) ([]flag.Flag, error) {
	rows, err := tx.Query(ctx, `SELECT `+flagColumns+` FROM flags WHERE environment_id = $1 AND NOT deleted ORDER BY key`, envID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (flag.Flag, error) {
		rec, err := scanFlag(r)
		return rec.Flag, err
	})
}

// MarkPublished marks every pending outbox row of the environment at or below version as published. It
// commits without waiting for the WAL flush (synchronous_commit off for this statement only): a mark lost in
// a crash leaves the rows pending, and the next drain finds the stream already holds their version and marks
// them again, publishing nothing.
func (db *DB) MarkPublished(ctx context.Context, conn *pgx.Conn, envID, version int64) (int64, error) {
	tag, err := conn.Exec(ctx, `UPDATE outbox SET published_at = now()
		FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async
		WHERE environment_id = $1 AND environment_version <= $2 AND published_at IS NULL`, envID, version)
	if err != nil {
		return 0, fmt.Errorf("postgres.MarkPublished(%d, v%d): %w", envID, version, err)
	}
	return tag.RowsAffected(), nil
}
