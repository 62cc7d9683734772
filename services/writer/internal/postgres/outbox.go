package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OutboxChannel is the NOTIFY channel publishers listen on. The payload identifies the notifying writer, so
// that its own publisher can ignore it.
const OutboxChannel = "halyard_outbox"

// publishLockSpace namespaces the per-environment advisory locks publishers take.
const publishLockSpace = 0x68616c79 // "haly"

// Outbox is the publish side of the transactional outbox: which environments have changes not yet
// published, each one's snapshot and last recorded publication under its publish lock, the marking of
// published rows, and the notifications between writers. Its methods are safe for concurrent use.
type Outbox struct {
	pool      *pgxpool.Pool
	committed atomic.Pointer[func(envID int64)]
}

// NewOutbox returns the outbox of db. It takes over db's after-commit hook (DB.Committed): every change db
// commits is reported to the function given to OnCommit.
func NewOutbox(db *DB) *Outbox {
	o := &Outbox{pool: db.Pool}
	db.Committed = o.commit
	return o
}

// OnCommit has fn called after every change of an environment this writer commits (its outbox row is then
// pending). fn must not block; it replaces any earlier one.
func (o *Outbox) OnCommit(fn func(envID int64)) { o.committed.Store(&fn) }

func (o *Outbox) commit(envID int64) {
	if fn := o.committed.Load(); fn != nil {
		(*fn)(envID)
	}
}

// The publisher's queries have no request to bound them: these do, so that a PostgreSQL that stops
// answering stalls publishing for a while, not forever (the publisher retries at its next wake-up).
const (
	outboxQueryTimeout = 10 * time.Second
	// publishTimeout bounds Publish's own work on PostgreSQL (the lock, reading the snapshot, marking it
	// published), not the publish to NATS it calls: a snapshot of tens of thousands of flags takes seconds.
	publishTimeout = time.Minute
)

// Pending lists environments with outbox rows not yet published.
func (o *Outbox) Pending(ctx context.Context) ([]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, outboxQueryTimeout)
	defer cancel()
	rows, err := o.pool.Query(ctx, `SELECT DISTINCT environment_id FROM outbox WHERE published_at IS NULL ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("postgres.Outbox.Pending: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// position is an environment's last snapshot on a stream: its stream sequence and version (zero when none).
type position struct {
	seq     uint64
	version int64
}

// Publish publishes one environment, holding its publish lock: it reads the environment's snapshot, the
// trace contexts of the changes it publishes (oldest first; none when tracing was off) and the last
// publication recorded for it on stream (sequence and version, zero when none), calls publish with them,
// and records what publish returns (the subject's last message afterwards) as the environment's last
// publication, marking every pending outbox row at or below its version. It returns the rows marked.
//
// The lock is a session advisory lock on one pooled connection: only one writer at a time publishes an
// environment, and since each reads the snapshot after taking the lock, a later publisher never reads an
// older version than an earlier one published. When another writer holds it, Publish does nothing and
// reports locked false. When publish fails, nothing is recorded and the rows stay pending.
func (o *Outbox) Publish(ctx context.Context, stream string, envID int64,
	publish func(snap *wire.Snapshot, traces []map[string]string, lastSeq uint64, lastVersion int64) (seq uint64, version int64, err error),
) (marked int64, locked bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	conn, err := o.pool.Acquire(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("postgres.Outbox.Publish(%d): %w", envID, err)
	}
	defer conn.Release()
	if locked, err := tryPublishLock(ctx, conn, envID); err != nil || !locked {
		return 0, false, err
	}
	defer unlockPublish(ctx, conn, envID)
	snap, last, traces, err := readSnapshot(ctx, conn.Conn(), envID, stream)
	if err != nil {
		return 0, true, err
	}
	seq, version, err := publish(snap, traces, last.seq, last.version)
	if err != nil {
		return 0, true, err
	}
	marked, err = markPublished(ctx, conn.Conn(), envID, stream, position{seq: seq, version: version})
	return marked, true, err
}

func tryPublishLock(ctx context.Context, conn *pgxpool.Conn, envID int64) (bool, error) {
	var got bool
	// #nosec G115 -- ids above 2^31 fold onto another environment's lock: they serialize, nothing worse.
	err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, int32(publishLockSpace), int32(envID)).Scan(&got)
	if err != nil {
		return false, fmt.Errorf("postgres.Outbox.Publish(%d): lock: %w", envID, err)
	}
	return got, nil
}

func unlockPublish(ctx context.Context, conn *pgxpool.Conn, envID int64) {
	// #nosec G115 -- as in tryPublishLock
	cleanUp(ctx, conn, `SELECT pg_advisory_unlock($1, $2)`, int32(publishLockSpace), int32(envID))
}

// markPublished records last as the environment's last publication on stream and marks every pending
// outbox row of the environment at or below its version as published. It commits without waiting for the
// WAL flush (synchronous_commit off for this statement only): if a crash loses it, the rows stay pending and
// the next publisher finds the version already on the stream (a stale record only makes its first publish
// fail the expected-sequence check, and it then asks the stream).
func markPublished(ctx context.Context, conn *pgx.Conn, envID int64, stream string, last position) (int64, error) {
	tag, err := conn.Exec(ctx, `WITH rec AS (
			INSERT INTO published_snapshots (stream, environment_id, stream_sequence, version) VALUES ($3, $1, $4, $2)
			ON CONFLICT (stream, environment_id) DO UPDATE SET stream_sequence = excluded.stream_sequence, version = excluded.version)
		UPDATE outbox SET published_at = now()
		FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async
		WHERE environment_id = $1 AND environment_version <= $2 AND published_at IS NULL`,
		envID, last.version, stream, int64(last.seq)) // #nosec G115 -- stream sequences stay below 2^63
	if err != nil {
		return 0, fmt.Errorf("postgres.markPublished(%d, v%d): %w", envID, last.version, err)
	}
	return tag.RowsAffected(), nil
}

// Notify sends NOTIFY halyard_outbox with payload, waking other writers' publishers. It runs in its own
// transaction with synchronous_commit off: it is a hint (publishers also poll), and sending it in a change's
// own transaction would make every commit wait on PostgreSQL's single notification lock, held through the
// WAL flush.
func (o *Outbox) Notify(ctx context.Context, payload string) error {
	ctx, cancel := context.WithTimeout(ctx, outboxQueryTimeout)
	defer cancel()
	if _, err := o.pool.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`,
		OutboxChannel, payload); err != nil {
		return fmt.Errorf("postgres.Outbox.Notify: %w", err)
	}
	return nil
}

// Listen LISTENs on halyard_outbox on one pooled connection and calls notified with each notification's
// payload, until ctx ends or the connection fails; it always returns an error saying which.
func (o *Outbox) Listen(ctx context.Context, notified func(payload string)) error {
	conn, err := o.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres.Outbox.Listen: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+OutboxChannel); err != nil {
		return fmt.Errorf("postgres.Outbox.Listen: %w", err)
	}
	defer cleanUp(ctx, conn, "UNLISTEN *")
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("postgres.Outbox.Listen: %w", err)
		}
		notified(n.Payload)
	}
}
