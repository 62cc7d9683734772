package publisher

import (
	"context"

	"github.com/halyard-flags/halyard/shared/wire"
)

// Outbox is what the publisher needs from the writer's transactional outbox (postgres.Outbox): its
// signatures use only wire and built-in types, so that the publisher does not depend on the database
// adapter.
type Outbox interface {
	// OnCommit has fn called, without blocking, after every change of an environment this writer commits.
	OnCommit(fn func(envID int64))
	// Pending lists the environments with outbox rows not yet published.
	Pending(ctx context.Context) ([]int64, error)
	// Publish holds the environment's publish lock while it reads the environment's snapshot (CommittedAt set
	// to the creation time of its oldest pending outbox row), the trace contexts of the changes it publishes
	// (W3C carriers, oldest first; empty when none was traced) and the last publication recorded for it on
	// stream (zero when none), calls publish with them, and records what publish returns as the last
	// publication, marking the outbox rows at or below its version. It reports locked false, having done
	// nothing, when another writer holds the lock.
	Publish(ctx context.Context, stream string, envID int64,
		publish func(snap *wire.Snapshot, traces []map[string]string, lastSeq uint64, lastVersion int64) (seq uint64, version int64, err error),
	) (marked int64, locked bool, err error)
	// Reconcile holds the writers' reconcile lock while it calls check with every environment's current
	// version (id → version), and has each environment check returns published again: an outbox row at its
	// current version, announced as a commit (OnCommit). locked is false, nothing done, when another writer
	// is reconciling.
	Reconcile(ctx context.Context, check func(current map[int64]int64) ([]int64, error)) (locked bool, err error)
	// Catalog reads the last publication recorded for every environment on stream (id → version).
	Catalog(ctx context.Context, stream string) (map[int64]int64, error)
	// Notify wakes the other writers' publishers (their Listen); payload identifies this one.
	Notify(ctx context.Context, payload string) error
	// Listen calls notified with the payload of every notification until ctx ends or the connection fails.
	Listen(ctx context.Context, notified func(payload string)) error
}
