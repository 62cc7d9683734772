package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// OutboxChannel is the NOTIFY channel the publisher listens on.
const OutboxChannel = "halyard_outbox"

// change is what every mutation records besides its row change.
type change struct {
	envID         int64
	version       int64
	actor         string
	action        string // e.g. flag.create
	resource      string // e.g. flag/new-checkout
	before, after any
}

// recordChange writes the audit row and the outbox row and queues a NOTIFY, all in the caller's transaction:
// the change, its audit entry and its publication commit or roll back together.
func recordChange(ctx context.Context, tx pgx.Tx, c change) error {
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (environment_id, environment_version, actor, action, resource, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.envID, c.version, c.actor, c.action, c.resource, c.before, c.after); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (environment_id, environment_version) VALUES ($1, $2)`, c.envID, c.version); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, OutboxChannel, strconv.FormatInt(c.envID, 10))
	return err
}
