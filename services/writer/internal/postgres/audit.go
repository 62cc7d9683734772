package postgres

import (
	"context"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/jackc/pgx/v5"
)

// ListAudit returns a page of the audit log and whether more follow.
func (db *DB) ListAudit(ctx context.Context, q admin.AuditQuery) ([]admin.AuditEntry, bool, error) {
	resource := q.ResourceFilter()
	var since, until *time.Time
	if !q.Since.IsZero() {
		since = &q.Since
	}
	if !q.Until.IsZero() {
		until = &q.Until
	}
	rows, err := db.Pool.Query(ctx, `SELECT id, environment_id, environment_version, actor, actor_token_id, action, resource,
		before, after, created_at FROM audit_log
		WHERE ($1 = 0 OR environment_id = $1) AND ($2 = '' OR resource = $2) AND ($3 = '' OR actor = $3)
		AND ($4 = 0 OR actor_token_id = $4) AND ($5::timestamptz IS NULL OR created_at >= $5)
		AND ($6::timestamptz IS NULL OR created_at < $6) AND ($7 = 0 OR id < $7)
		ORDER BY id DESC LIMIT $8`, q.EnvironmentID, resource, q.Actor, q.ActorTokenID, since, until, q.Before, q.Limit+1)
	if err != nil {
		return nil, false, asAppErr(err, "postgres.ListAudit")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[admin.AuditEntry])
	if err != nil {
		return nil, false, asAppErr(err, "postgres.ListAudit")
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}
