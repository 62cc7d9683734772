package admin

import (
	"encoding/json"
	"time"
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

// ResourceFilter is the audit resource the query selects: its flag's when it names one, "" for any.
func (q AuditQuery) ResourceFilter() string {
	if q.Flag != "" {
		return "flag/" + q.Flag
	}
	return q.Resource
}
