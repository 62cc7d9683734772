package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/labstack/echo/v4"
)

// AuditStore is what the audit log route needs.
type AuditStore interface {
	ListAudit(ctx context.Context, q admin.AuditQuery) ([]admin.AuditEntry, bool, error)
}

func (s *Server) listAudit(c echo.Context) error {
	var (
		q   admin.AuditQuery
		err error
	)
	if q.Limit, err = queryLimit(c, 100, 1000); err != nil {
		return err
	}
	if v := c.QueryParam("environment_id"); v != "" {
		if q.EnvironmentID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return badParam("environment_id", "must be an integer")
		}
	}
	if v := c.QueryParam("actor_token_id"); v != "" {
		if q.ActorTokenID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return badParam("actor_token_id", "must be an integer")
		}
	}
	if q.Since, err = queryTime(c, "since"); err != nil {
		return err
	}
	if q.Until, err = queryTime(c, "until"); err != nil {
		return err
	}
	cur, err := queryCursor(c)
	if err != nil {
		return err
	}
	q.Before, q.Flag, q.Resource, q.Actor = cur.ID, c.QueryParam("flag"), c.QueryParam("resource"), c.QueryParam("actor")
	entries, more, err := s.Audit.ListAudit(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := map[string]any{"entries": entries, "next_cursor": nil}
	if entries == nil {
		out["entries"] = []admin.AuditEntry{}
	}
	if more {
		out["next_cursor"] = cursor{ID: entries[len(entries)-1].ID}.encode()
	}
	return c.JSON(http.StatusOK, out)
}
