package postgres

import (
	"context"
	"errors"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/jackc/pgx/v5"
)

// Locks. Every change of an environment bumps environments.version in its last statement (recordAndCommit, groupEditSQL):
// that row lock is held until commit, so versions are dense and in commit order, and it is held for as short
// a time as possible (one statement and the commit's WAL flush), because it serializes every change of the
// environment. A change that needs to validate the whole environment (a reference to another flag or a
// cohort may appear, or something others may reference disappears) takes the row lock first instead
// (lockEnvironment), so that nothing it validated against changes before it commits. Changes of one flag lock
// the flag's row before the environment's row; bulk changes lock the environment first and then flags, so a
// bulk change racing with a change of one of its flags can deadlock: PostgreSQL detects it and Transact
// retries the transaction that was cancelled.

// envTx is one change to one environment in progress: the transaction and the audit entries collected so far.
type envTx struct {
	tx      pgx.Tx
	envID   int64
	actor   admin.Actor
	changes []change
	// maxPayload is the NATS server's max_payload when the transaction began (DB.MaxPayload).
	maxPayload int64
}

func (et *envTx) record(action, resource string, before, after any) {
	et.changes = append(et.changes, change{action: action, resource: resource, before: before, after: after})
}

// inEnvironment runs fn as one change of the environment validated as a whole: it takes the environment's
// row lock, runs fn, refuses the change when it makes the environment's definitions invalid (a missing flag
// or cohort, a dependency cycle), and records the version bump, the audit rows and one outbox row. It
// returns the version produced.
func (db *DB) inEnvironment(ctx context.Context, envID int64, actor admin.Actor, op string, fn func(ctx context.Context, et *envTx) error) (int64, error) {
	return db.change(ctx, envID, actor, op, func(et *envTx) error {
		return lockedAndValidated(ctx, et, func() error { return fn(ctx, et) })
	})
}

// change runs fn in a transaction as one change of the environment, in a commit span (trace.go), records
// it (version, audit, outbox) and commits in one round trip, and once it committed tells the publishers. It
// returns the version produced. Like Transact, it retries the whole change after a deadlock or a
// serialization failure.
func (db *DB) change(ctx context.Context, envID int64, actor admin.Actor, op string, fn func(et *envTx) error) (int64, error) {
	ctx, span := startCommit(ctx, op)
	var version int64
	err := retry(ctx, func() (err error) {
		version, err = db.changeOnce(ctx, envID, actor, fn)
		return err
	})
	endCommit(span, envID, version, err)
	if err != nil {
		return 0, asAppErr(err, op)
	}
	db.committed(envID)
	return version, nil
}

func (db *DB) changeOnce(ctx context.Context, envID int64, actor admin.Actor, fn func(et *envTx) error) (int64, error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release() // the pool closes a connection left in a transaction
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return 0, err
	}
	defer func() {
		if conn.Conn().PgConn().TxStatus() != 'I' { // not committed by recordAndCommit
			rollback, cancel := cleanUpContext(ctx)
			defer cancel()
			_ = tx.Rollback(rollback)
		}
	}()
	et := &envTx{tx: tx, envID: envID, actor: actor, maxPayload: db.maxPayload()}
	if err := fn(et); err != nil {
		return 0, err
	}
	return recordAndCommit(ctx, tx, envID, actor, et.changes)
}

// lockedAndValidated takes the environment's row lock, then applies the change and refuses it when it adds
// a problem to the environment's whole set of definitions.
func lockedAndValidated(ctx context.Context, et *envTx, apply func() error) error {
	if err := lockEnvironment(ctx, et.tx, et.envID); err != nil {
		return err
	}
	before, err := problemsOf(ctx, et.tx, et.envID)
	if err != nil {
		return err
	}
	if err := apply(); err != nil {
		return err
	}
	return refuseNewProblems(ctx, et.tx, et.envID, before)
}

// flagValidated applies a change that leaves one flag defined as next (cur is its definition before, nil
// for a new flag). A definition that references no other flag and no cohort cannot add a reference problem
// or a dependency cycle to the environment, and other flags reference this one by id, which the change keeps:
// such a change is checked on its own (flag.Validate before and after) without the environment's lock until
// its last statement. Any other change is validated against the whole environment under the lock.
func flagValidated(ctx context.Context, et *envTx, cur, next *flag.Flag, apply func() error) error {
	apply = withinSnapshotBudget(ctx, et, cur, next, apply)
	if admin.HasReferences(next) {
		return lockedAndValidated(ctx, et, apply)
	}
	if err := apply(); err != nil {
		return err
	}
	var before []flag.Problem
	if cur != nil {
		before = admin.OwnProblems(cur)
	}
	return admin.RefuseNew(before, admin.OwnProblems(next))
}

// withinSnapshotBudget wraps apply with the snapshot budget check when the change grows the flag enough:
// a change whose snapshot could not be published would stall its environment's outbox.
func withinSnapshotBudget(ctx context.Context, et *envTx, cur, next *flag.Flag, apply func() error) func() error {
	if !admin.Grows(cur, next) {
		return apply
	}
	return func() error {
		if err := apply(); err != nil {
			return err
		}
		return checkSnapshotBudget(ctx, et, et.envID)
	}
}

// lockEnvironment takes the environment's row lock (the one the version bump takes; NO KEY UPDATE, so
// inserts referencing the environment are not blocked) until the transaction ends.
func lockEnvironment(ctx context.Context, tx pgx.Tx, envID int64) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM environments WHERE id = $1 FOR NO KEY UPDATE`, envID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return admin.EnvironmentNotFound(envID)
	}
	return err
}

// environmentExists tells a missing flag from a missing environment.
func environmentExists(ctx context.Context, tx pgx.Tx, envID int64) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM environments WHERE id = $1)`, envID).Scan(&ok)
	return ok, err
}

// problemsOf validates the environment's whole set of definitions (flag.ValidateSet).
func problemsOf(ctx context.Context, tx pgx.Tx, envID int64) ([]flag.Problem, error) {
	flags, err := readFlags(ctx, tx, envID)
	if err != nil {
		return nil, err
	}
	cohorts, err := readCohortDefinitions(ctx, tx, envID)
	if err != nil {
		return nil, err
	}
	return flag.ValidateSet(flags, cohorts), nil
}

// refuseNewProblems fails with every problem the change introduced (admin.RefuseNew).
func refuseNewProblems(ctx context.Context, tx pgx.Tx, envID int64, before []flag.Problem) error {
	after, err := problemsOf(ctx, tx, envID)
	if err != nil {
		return err
	}
	return admin.RefuseNew(before, after)
}
