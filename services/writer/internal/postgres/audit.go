package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
)

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID                 int64           `json:"id"`
	EnvironmentID      *int64          `json:"environment_id"`
	EnvironmentVersion *int64          `json:"environment_version"`
	Actor              string          `json:"actor"`
	ActorTokenID       *int64          `json:"actor_token_id"`
	Action             string          `json:"action"`
	Resource           string          `json:"resource"`
	Before             json.RawMessage `json:"before"`
	After              json.RawMessage `json:"after"`
	CreatedAt          time.Time       `json:"created_at"`
}

// AuditQuery selects a page of the audit log, newest first. Zero fields do not filter.
type AuditQuery struct {
	EnvironmentID int64
	Flag          string // a flag key
	Resource      string // e.g. cohort/12
	Actor         string // a token name ("bootstrap" for the bootstrap token)
	ActorTokenID  int64
	Since, Until  time.Time
	Before        int64 // the id the previous page ended with
	Limit         int
}

// ListAudit returns a page of the audit log and whether more follow.
func (db *DB) ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, bool, error) {
	resource := q.Resource
	if q.Flag != "" {
		resource = "flag/" + q.Flag
	}
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
		return nil, false, apperr.Wrap(err, "postgres.ListAudit")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AuditEntry])
	if err != nil {
		return nil, false, apperr.Wrap(err, "postgres.ListAudit")
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}
