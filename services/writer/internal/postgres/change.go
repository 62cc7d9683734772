package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
)

// tokenIDOf is the actor's token id as stored: NULL for the bootstrap token.
func tokenIDOf(a admin.Actor) *int64 {
	if a.TokenID == 0 {
		return nil
	}
	return &a.TokenID
}

// change is one audit entry of a mutation.
type change struct {
	action        string // e.g. flag.create
	resource      string // e.g. flag/new-checkout
	before, after any
}

// recordSQL bumps the environment's version and writes the audit rows and the outbox row of that version
// (with the trace context of the change's commit span, trace.go) in one statement: the version bump takes the environment's row lock, which is then held until commit, so it
// runs last in the transaction and the lock spans one statement and the commit, not the whole change.
const recordSQL = `WITH v AS (UPDATE environments SET version = version + 1 WHERE id = $1 RETURNING version),
	a AS (INSERT INTO audit_log (environment_id, environment_version, actor, actor_token_id, action, resource, before, after)
		SELECT $1, v.version, $2, $3, c.action, c.resource, c.before::jsonb, c.after::jsonb
		FROM v, unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS c(action, resource, before, after, n)
		ORDER BY c.n),
	o AS (INSERT INTO outbox (environment_id, environment_version, trace_context) SELECT $1, version, $8::jsonb FROM v)
	SELECT version FROM v`

// recordAtSQL is recordSQL for a version already set (a new environment's first one).
const recordAtSQL = `WITH v AS (SELECT $8::bigint AS version),
	a AS (INSERT INTO audit_log (environment_id, environment_version, actor, actor_token_id, action, resource, before, after)
		SELECT $1, v.version, $2, $3, c.action, c.resource, c.before::jsonb, c.after::jsonb
		FROM v, unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS c(action, resource, before, after, n)
		ORDER BY c.n),
	o AS (INSERT INTO outbox (environment_id, environment_version, trace_context) SELECT $1, version, $9::jsonb FROM v)
	SELECT version FROM v`

// recordAndCommit bumps the environment's version, writes the audit rows and the outbox row (recordSQL) and
// commits, in one round trip (one pipeline, one Sync): the change, its audit entries and its publication
// commit or roll back together, and the environment's row lock, taken by the version bump, is released by
// the commit without waiting for this process to read the statement's answer and send COMMIT. Publishers
// are told after the commit (DB.committed), not by a NOTIFY in this transaction: PostgreSQL serializes
// every committing transaction that notified on one global lock held through the commit's WAL flush, which
// would serialize the commits of all environments. An error in the first statement skips the COMMIT
// and leaves the transaction failed, for the caller to roll back. The caller must not use tx afterwards.
func recordAndCommit(ctx context.Context, tx pgx.Tx, envID int64, actor admin.Actor, changes []change) (version int64, err error) {
	args, err := recordArgs(envID, actor, changes)
	if err != nil {
		return 0, err
	}
	b := &pgx.Batch{}
	b.Queue(recordSQL, append(args, traceContext(ctx))...)
	b.Queue(`COMMIT`)
	br := tx.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := br.QueryRow().Scan(&version); errors.Is(err, pgx.ErrNoRows) {
		return 0, admin.EnvironmentNotFound(envID)
	} else if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if err != nil {
		return 0, err
	}
	if tag.String() != "COMMIT" {
		return 0, fmt.Errorf("postgres.recordAndCommit: COMMIT answered %q", tag.String())
	}
	return version, nil
}

// recordChangeAt writes the audit rows and the outbox row of a version the caller already set (a new
// environment's first), in the caller's transaction.
func recordChangeAt(ctx context.Context, tx pgx.Tx, envID, version int64, actor admin.Actor, changes ...change) error {
	args, err := recordArgs(envID, actor, changes)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, recordAtSQL, append(args, version, traceContext(ctx))...)
	return err
}

func recordArgs(envID int64, actor admin.Actor, changes []change) ([]any, error) {
	n := len(changes)
	actions, resources := make([]string, n), make([]string, n)
	befores, afters := make([]*string, n), make([]*string, n)
	for i, c := range changes {
		actions[i], resources[i] = c.action, c.resource
		var err error
		if befores[i], err = jsonText(c.before); err != nil {
			return nil, err
		}
		if afters[i], err = jsonText(c.after); err != nil {
			return nil, err
		}
	}
	return []any{envID, actor.Name, tokenIDOf(actor), actions, resources, befores, afters}, nil
}

// jsonText is v as JSON text, nil for a nil v (SQL NULL, as pgx would send it).
func jsonText(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, apperr.Wrap(fmt.Errorf("encode audit entry: %w", err), "postgres.recordArgs")
	}
	s := string(b)
	return &s, nil
}

// audit writes one audit row; envID and version are nil for changes outside environments (projects, tokens).
func audit(ctx context.Context, tx pgx.Tx, envID, version *int64, actor admin.Actor, c change) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (environment_id, environment_version, actor, actor_token_id, action, resource, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, envID, version, actor.Name, tokenIDOf(actor), c.action, c.resource, c.before, c.after)
	return err
}
