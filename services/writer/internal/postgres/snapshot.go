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

// ReadSnapshot reads the environment's complete state at one consistent version (a REPEATABLE READ
// transaction), and the last publication recorded for it on stream (MarkPublished), in one round trip: the
// transaction's statements are sent as one pipeline.
func ReadSnapshot(ctx context.Context, conn *pgx.Conn, envID int64, stream string) (snap *wire.Snapshot, last Published, err error) {
	s := &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: envID}
	var members []cohortMember
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
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
	b.Queue(keysSQL, envID).Query(func(rows pgx.Rows) (err error) {
		s.Keys, err = pgx.CollectRows(rows, scanKey)
		return err
	})
	b.Queue(flagsSQL, envID).Query(func(rows pgx.Rows) (err error) {
		s.Flags, err = pgx.CollectRows(rows, scanLiveFlag)
		return err
	})
	b.Queue(cohortsSQL, envID).Query(func(rows pgx.Rows) (err error) {
		s.Cohorts, err = pgx.CollectRows(rows, scanCohortDefinition)
		return err
	})
	b.Queue(`SELECT m.cohort_id, m.member FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
		WHERE c.environment_id = $1 AND c.is_static ORDER BY m.cohort_id, m.member`, envID).Query(func(rows pgx.Rows) (err error) {
		members, err = pgx.CollectRows(rows, pgx.RowToStructByPos[cohortMember])
		return err
	})
	b.Queue(`SELECT idx, name FROM group_types WHERE environment_id = $1`, envID).Query(func(rows pgx.Rows) error {
		s.GroupTypes = map[int]string{}
		var (
			idx  int
			name string
		)
		_, err := pgx.ForEachRow(rows, []any{&idx, &name}, func() error { s.GroupTypes[idx] = name; return nil })
		return err
	})
	b.Queue(`COMMIT`)
	err = conn.SendBatch(ctx, b).Close()
	if conn.PgConn().TxStatus() != 'I' {
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return nil, last, fmt.Errorf("postgres.ReadSnapshot(%d): %w", envID, err)
	}
	attachMembers(s.Cohorts, members)
	return s, last, nil
}

type cohortMember struct {
	CohortID int64
	Member   string
}

// attachMembers gives each static cohort its members (sorted by cohort id, then member).
func attachMembers(cohorts []flag.Cohort, members []cohortMember) {
	byID := map[int64]*flag.Cohort{}
	for i := range cohorts {
		if cohorts[i].IsStatic {
			cohorts[i].Members = []string{}
			byID[cohorts[i].ID] = &cohorts[i]
		}
	}
	for _, m := range members {
		if c := byID[m.CohortID]; c != nil {
			c.Members = append(c.Members, m.Member)
		}
	}
}

const keysSQL = `SELECT kind, value, coalesce((extract(epoch FROM expires_at) * 1000)::bigint, 0)
	FROM environment_keys WHERE environment_id = $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY id`

func scanKey(r pgx.CollectableRow) (wire.Key, error) {
	var k wire.Key
	err := r.Scan(&k.Kind, &k.Value, &k.ExpiresAt)
	return k, err
}

const flagsSQL = `SELECT ` + flagColumns + ` FROM flags WHERE environment_id = $1 AND NOT deleted ORDER BY key`

func scanLiveFlag(r pgx.CollectableRow) (flag.Flag, error) {
	rec, err := scanFlag(r)
	return rec.Flag, err
}

func readFlags(ctx context.Context, tx pgx.Tx, envID int64) ([]flag.Flag, error) {
	rows, err := tx.Query(ctx, flagsSQL, envID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanLiveFlag)
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
