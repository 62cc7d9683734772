package postgres

import (
	"context"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/jackc/pgx/v5"
)

// envTx is one change to one environment in progress: the transaction, the version it will produce, and the
// audit entries collected so far.
type envTx struct {
	tx      pgx.Tx
	envID   int64
	version int64
	actor   Actor
	changes []change
}

func (et *envTx) record(action, resource string, before, after any) {
	et.changes = append(et.changes, change{action: action, resource: resource, before: before, after: after})
}

// inEnvironment runs fn as one change of the environment: it bumps the version (taking the environment's row
// lock, which serializes every writer of the environment), runs fn, refuses the change when it makes the
// environment's definitions invalid (a missing flag or cohort, a dependency cycle), and records the audit
// rows and one outbox row. It returns the version produced.
func (db *DB) inEnvironment(ctx context.Context, envID int64, actor Actor, op string, fn func(ctx context.Context, et *envTx) error) (int64, error) {
	var version int64
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) (err error) {
		et := &envTx{tx: tx, envID: envID, actor: actor}
		if et.version, err = lockEnvironment(ctx, tx, envID); err != nil {
			return err
		}
		before, err := problemsOf(ctx, tx, envID)
		if err != nil {
			return err
		}
		if err := fn(ctx, et); err != nil {
			return err
		}
		if err := refuseNewProblems(ctx, tx, envID, before); err != nil {
			return err
		}
		version = et.version
		return recordChange(ctx, tx, envID, et.version, actor, et.changes...)
	})
	if err != nil {
		return 0, asAppErr(err, op)
	}
	return version, nil
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

// refuseNewProblems fails with every problem the change introduced. Problems that were there before are
// not the change's fault (validation may have become stricter since they were stored) and do not block it.
func refuseNewProblems(ctx context.Context, tx pgx.Tx, envID int64, before []flag.Problem) error {
	after, err := problemsOf(ctx, tx, envID)
	if err != nil {
		return err
	}
	old := map[flag.Problem]bool{}
	for _, p := range before {
		old[p] = true
	}
	var fresh []flag.Problem
	for _, p := range after {
		if !old[p] {
			fresh = append(fresh, p)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	return Invalid(fresh)
}

// Invalid is the 422 error carrying every validation problem.
func Invalid(problems []flag.Problem) error {
	e := apperr.New(apperr.Invalid, "validation_failed", "the definition is not valid: %s", problems[0].Error())
	e.Details = problems
	return e
}
