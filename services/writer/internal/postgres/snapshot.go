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

// Published is the last snapshot of an environment a publisher saw acknowledged: its stream sequence and
// version (zero when none is recorded).
type Published struct {
	Sequence uint64
	Version  int64
}

// ReadSnapshot reads the environment's complete state at one consistent version, and the last publication
// recorded for it on stream (MarkPublished).
func ReadSnapshot(ctx context.Context, conn *pgx.Conn, envID int64, stream string) (*wire.Snapshot, Published, error) {
	s := &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: envID}
	var last Published
	err := pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT project_id, version FROM environments WHERE id = $1`, envID).QueryRow(func(r pgx.Row) error {
			return r.Scan(&s.ProjectID, &s.Version)
		})
		b.Queue(`SELECT stream_sequence, version FROM published_snapshots WHERE stream = $1 AND environment_id = $2`,
			stream, envID).QueryRow(func(r pgx.Row) error {
			if err := r.Scan(&last.Sequence, &last.Version); !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			return nil
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
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
		return nil, last, fmt.Errorf("postgres.ReadSnapshot(%d): %w", envID, err)
	}
	return s, last, nil
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

// MarkPublished records last as the environment's last publication on stream and marks every pending
// outbox row of the environment at or below its version as published. It commits without waiting for the
// WAL flush (synchronous_commit off for this statement only): if a crash loses it, the rows stay pending and
// the next publisher finds the version already on the stream (a stale record only makes its first publish
// fail the expected-sequence check, and it then asks the stream).
func (db *DB) MarkPublished(ctx context.Context, conn *pgx.Conn, envID int64, stream string, last Published) (int64, error) {
	tag, err := conn.Exec(ctx, `WITH rec AS (
			INSERT INTO published_snapshots (stream, environment_id, stream_sequence, version) VALUES ($3, $1, $4, $2)
			ON CONFLICT (stream, environment_id) DO UPDATE SET stream_sequence = excluded.stream_sequence, version = excluded.version)
		UPDATE outbox SET published_at = now()
		FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async
		WHERE environment_id = $1 AND environment_version <= $2 AND published_at IS NULL`,
		envID, last.Version, stream, int64(last.Sequence))
	if err != nil {
		return 0, fmt.Errorf("postgres.MarkPublished(%d, v%d): %w", envID, last.Version, err)
	}
	return tag.RowsAffected(), nil
}
