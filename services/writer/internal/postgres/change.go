package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// OutboxChannel is the NOTIFY channel the publisher listens on.
const OutboxChannel = "halyard_outbox"

// Actor is who makes a change: the admin token's name and id (0 for the bootstrap token).
type Actor struct {
	Name    string
	TokenID int64
}

func (a Actor) tokenID() *int64 {
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

// recordChange writes the audit row and the outbox row and queues a NOTIFY, all in the caller's transaction:
// the change, its audit entry and its publication commit or roll back together.
func recordChange(ctx context.Context, tx pgx.Tx, envID, version int64, actor Actor, changes ...change) error {
	for _, c := range changes {
		if err := audit(ctx, tx, &envID, &version, actor, c); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (environment_id, environment_version) VALUES ($1, $2)`, envID, version); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, OutboxChannel, strconv.FormatInt(envID, 10))
	return err
}

// audit writes one audit row; envID and version are nil for changes outside environments (projects, tokens).
func audit(ctx context.Context, tx pgx.Tx, envID, version *int64, actor Actor, c change) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (environment_id, environment_version, actor, actor_token_id, action, resource, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, envID, version, actor.Name, actor.tokenID(), c.action, c.resource, c.before, c.after)
	return err
}
