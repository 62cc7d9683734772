package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/labstack/echo/v4"
)

// FlagStore is what the flag routes need.
type FlagStore interface {
	ListFlags(ctx context.Context, envID int64, q admin.FlagQuery) ([]admin.FlagRecord, bool, int64, error)
	GetFlag(ctx context.Context, envID int64, key string) (admin.FlagRecord, int64, error)
	CreateFlag(ctx context.Context, envID int64, actor admin.Actor, f admin.FlagSpec) (admin.FlagRecord, int64, error)
	UpdateFlag(ctx context.Context, envID int64, actor admin.Actor, key, action string, edit func(admin.FlagRecord) (admin.FlagSpec, error)) (admin.FlagRecord, int64, error)
	DeleteFlag(ctx context.Context, envID int64, actor admin.Actor, key string, check func(admin.FlagRecord) error) (int64, error)
	RestoreFlag(ctx context.Context, envID int64, actor admin.Actor, key string) (admin.FlagRecord, int64, error)
}

// flagDocument is the editable part of a flag, as clients send it.
type flagDocument struct {
	Key                        string       `json:"key"`
	Name                       string       `json:"name"`
	Description                string       `json:"description"`
	Tags                       []string     `json:"tags"`
	Filters                    flag.Filters `json:"filters"`
	Active                     *bool        `json:"active"`
	EnsureExperienceContinuity bool         `json:"ensure_experience_continuity"`
	BucketingIdentifier        string       `json:"bucketing_identifier,omitempty"`
	EvaluationRuntime          string       `json:"evaluation_runtime,omitempty"`
	EvaluationContexts         []string     `json:"evaluation_contexts,omitempty"`
}

func (d flagDocument) toSpec() admin.FlagSpec {
	f := flag.Flag{Key: d.Key, Name: d.Name, Description: d.Description, Filters: d.Filters, Active: true,
		EnsureExperienceContinuity: d.EnsureExperienceContinuity, BucketingIdentifier: d.BucketingIdentifier,
		EvaluationRuntime: d.EvaluationRuntime, EvaluationContexts: d.EvaluationContexts}
	if d.Active != nil {
		f.Active = *d.Active
	}
	if f.Filters.Groups == nil {
		f.Filters.Groups = []flag.Condition{}
	}
	return admin.FlagSpec{Flag: f, Tags: d.Tags}
}

func documentOf(f admin.FlagSpec) flagDocument {
	active := f.Active
	return flagDocument{Key: f.Key, Name: f.Name, Description: f.Description, Tags: f.Tags, Filters: f.Filters, Active: &active,
		EnsureExperienceContinuity: f.EnsureExperienceContinuity, BucketingIdentifier: f.BucketingIdentifier,
		EvaluationRuntime: f.EvaluationRuntime, EvaluationContexts: f.EvaluationContexts}
}

// flagResponse is a flag with the environment version the response reflects.
type flagResponse struct {
	admin.FlagRecord
	EnvironmentVersion int64 `json:"environment_version"`
}

func (s *Server) respondFlag(c echo.Context, status int, rec admin.FlagRecord, envVersion int64) error {
	setVersion(c, envVersion)
	setETag(c, rec.Version)
	return c.JSON(status, flagResponse{FlagRecord: rec, EnvironmentVersion: envVersion})
}

func flagQuery(c echo.Context) (admin.FlagQuery, error) {
	var (
		q   admin.FlagQuery
		err error
	)
	if q.Limit, err = queryLimit(c, 100, 1000); err != nil {
		return q, err
	}
	if q.Active, err = queryBool(c, "active"); err != nil {
		return q, err
	}
	deleted, err := queryBool(c, "deleted")
	if err != nil {
		return q, err
	}
	q.Deleted = deleted != nil && *deleted
	cur, err := queryCursor(c)
	q.Search, q.Tag, q.After, q.AfterID = c.QueryParam("search"), c.QueryParam("tag"), cur.Key, cur.ID
	return q, err
}

// listFlags answers a page of flags by key; next_cursor is set when more follow.
func (s *Server) listFlags(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	q, err := flagQuery(c)
	if err != nil {
		return err
	}
	page, more, version, err := s.Flags.ListFlags(c.Request().Context(), envID, q)
	if err != nil {
		return err
	}
	out := map[string]any{"flags": page, "environment_version": version, "next_cursor": nil}
	if page == nil {
		out["flags"] = []admin.FlagRecord{}
	}
	if more {
		last := page[len(page)-1]
		out["next_cursor"] = cursor{Key: last.Key, ID: last.ID}.encode()
	}
	setVersion(c, version)
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	rec, version, err := s.Flags.GetFlag(c.Request().Context(), envID, c.Param("key"))
	if err != nil {
		return err
	}
	return s.respondFlag(c, http.StatusOK, rec, version)
}

func (s *Server) createFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	var doc flagDocument
	if err := readJSON(c, &doc); err != nil {
		return err
	}
	f := doc.toSpec()
	if err := admin.ValidateFlag(&f); err != nil {
		return err
	}
	rec, version, err := s.Flags.CreateFlag(c.Request().Context(), envID, actor(c), f)
	if err != nil {
		return err
	}
	return s.respondFlag(c, http.StatusCreated, rec, version)
}

// replaceFlag is PUT: the body is the whole new document (fields left out take their defaults).
func (s *Server) replaceFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	var doc flagDocument
	if err := readJSON(c, &doc); err != nil {
		return err
	}
	key := c.Param("key")
	if doc.Key == "" {
		doc.Key = key
	}
	if doc.Key != key {
		return invalid("key", "a flag's key cannot change")
	}
	next := doc.toSpec()
	if err := admin.ValidateFlag(&next); err != nil {
		return err
	}
	return s.editFlag(c, envID, key, "flag.replace", func(admin.FlagRecord) (admin.FlagSpec, error) { return next, nil })
}

// editFlag runs an update that honours If-Match and answers the flag.
func (s *Server) editFlag(c echo.Context, envID int64, key, action string, edit func(admin.FlagRecord) (admin.FlagSpec, error)) error {
	rec, version, err := s.Flags.UpdateFlag(c.Request().Context(), envID, actor(c), key, action, func(cur admin.FlagRecord) (admin.FlagSpec, error) {
		if err := checkIfMatch(c, "flag", cur.Version); err != nil {
			return admin.FlagSpec{}, err
		}
		return edit(cur)
	})
	if err != nil {
		return err
	}
	return s.respondFlag(c, http.StatusOK, rec, version)
}

// patchFlag applies a JSON merge patch (RFC 7396) to the flag's editable document.
func (s *Server) patchFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil {
		return badJSON(err)
	}
	return s.editFlag(c, envID, c.Param("key"), "flag.update", func(cur admin.FlagRecord) (admin.FlagSpec, error) {
		return applyPatch(cur.FlagSpec, body)
	})
}

func applyPatch(cur admin.FlagSpec, patch []byte) (admin.FlagSpec, error) {
	doc, err := json.Marshal(documentOf(cur))
	if err != nil {
		return admin.FlagSpec{}, apperr.Wrap(err, "encode flag document")
	}
	merged, err := mergePatch(doc, patch)
	if err != nil {
		return admin.FlagSpec{}, badJSON(err)
	}
	var next flagDocument
	if err := decodeStrict(merged, &next); err != nil {
		return admin.FlagSpec{}, err
	}
	if next.Key != cur.Key {
		return admin.FlagSpec{}, invalid("key", "a flag's key cannot change")
	}
	f := next.toSpec()
	return f, admin.ValidateFlag(&f)
}

type toggleRequest struct {
	Active *bool `json:"active"`
}

// toggleFlag flips active, or sets it to the body's {"active": …}.
func (s *Server) toggleFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in toggleRequest
	if len(body) > 0 {
		if err := decodeStrict(body, &in); err != nil {
			return err
		}
	}
	return s.editFlag(c, envID, c.Param("key"), "flag.toggle", func(cur admin.FlagRecord) (admin.FlagSpec, error) {
		next := cur.FlagSpec
		next.Active = !cur.Active
		if in.Active != nil {
			next.Active = *in.Active
		}
		return next, nil
	})
}

func (s *Server) deleteFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	version, err := s.Flags.DeleteFlag(c.Request().Context(), envID, actor(c), c.Param("key"), func(cur admin.FlagRecord) error {
		return checkIfMatch(c, "flag", cur.Version)
	})
	if err != nil {
		return err
	}
	setVersion(c, version)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) restoreFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	rec, version, err := s.Flags.RestoreFlag(c.Request().Context(), envID, actor(c), c.Param("key"))
	if err != nil {
		return err
	}
	return s.respondFlag(c, http.StatusOK, rec, version)
}
