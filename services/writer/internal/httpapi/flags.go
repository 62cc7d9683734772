package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/labstack/echo/v4"
)

// flagDocument is the editable part of a flag, as clients send it.
type flagDocument struct {
	Key                        string       `json:"key"`
	Name                       string       `json:"name"`
	Description                string       `json:"description"`
	Filters                    flag.Filters `json:"filters"`
	Active                     *bool        `json:"active"`
	EnsureExperienceContinuity bool         `json:"ensure_experience_continuity"`
	BucketingIdentifier        string       `json:"bucketing_identifier,omitempty"`
}

func (d flagDocument) toFlag() flag.Flag {
	f := flag.Flag{Key: d.Key, Name: d.Name, Description: d.Description, Filters: d.Filters, Active: true,
		EnsureExperienceContinuity: d.EnsureExperienceContinuity, BucketingIdentifier: d.BucketingIdentifier}
	if d.Active != nil {
		f.Active = *d.Active
	}
	return f
}

func documentOf(f flag.Flag) flagDocument {
	active := f.Active
	return flagDocument{Key: f.Key, Name: f.Name, Description: f.Description, Filters: f.Filters, Active: &active,
		EnsureExperienceContinuity: f.EnsureExperienceContinuity, BucketingIdentifier: f.BucketingIdentifier}
}

// flagResponse is a flag with the environment version the response reflects.
type flagResponse struct {
	postgres.FlagRecord
	EnvironmentVersion int64 `json:"environment_version"`
}

func (s *Server) respondFlag(c echo.Context, status int, rec postgres.FlagRecord, envVersion int64) error {
	h := c.Response().Header()
	h.Set(HeaderEnvironmentVersion, strconv.FormatInt(envVersion, 10))
	h.Set("ETag", strconv.Quote(strconv.FormatInt(rec.Version, 10)))
	return c.JSON(status, flagResponse{FlagRecord: rec, EnvironmentVersion: envVersion})
}

func (s *Server) listFlags(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	flags, version, err := s.Store.ListFlags(c.Request().Context(), envID)
	if err != nil {
		return err
	}
	if flags == nil {
		flags = []postgres.FlagRecord{}
	}
	c.Response().Header().Set(HeaderEnvironmentVersion, strconv.FormatInt(version, 10))
	return c.JSON(http.StatusOK, map[string]any{"flags": flags, "environment_version": version})
}

func (s *Server) getFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	rec, err := s.Store.GetFlag(c.Request().Context(), envID, c.Param("key"))
	if err != nil {
		return err
	}
	version, err := s.Store.EnvironmentVersion(c.Request().Context(), envID)
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
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var doc flagDocument
	if err := decodeStrict(body, &doc); err != nil {
		return err
	}
	f := doc.toFlag()
	if err := validateFlag(&f); err != nil {
		return err
	}
	rec, version, err := s.Store.CreateFlag(c.Request().Context(), envID, actor(c), f)
	if err != nil {
		return err
	}
	return s.respondFlag(c, http.StatusCreated, rec, version)
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
	key := c.Param("key")
	rec, version, err := s.Store.UpdateFlag(c.Request().Context(), envID, actor(c), key, func(cur postgres.FlagRecord) (flag.Flag, error) {
		if err := checkIfMatch(c, cur.Version); err != nil {
			return flag.Flag{}, err
		}
		return applyPatch(cur.Flag, body)
	})
	if err != nil {
		return err
	}
	return s.respondFlag(c, http.StatusOK, rec, version)
}

func applyPatch(cur flag.Flag, patch []byte) (flag.Flag, error) {
	doc, err := json.Marshal(documentOf(cur))
	if err != nil {
		return flag.Flag{}, apperr.Wrap(err, "encode flag document")
	}
	merged, err := mergePatch(doc, patch)
	if err != nil {
		return flag.Flag{}, badJSON(err)
	}
	var next flagDocument
	if err := decodeStrict(merged, &next); err != nil {
		return flag.Flag{}, err
	}
	if next.Key != cur.Key {
		return flag.Flag{}, invalid("key", "a flag's key cannot change")
	}
	f := next.toFlag()
	return f, validateFlag(&f)
}

// checkIfMatch refuses a write based on a stale read when the client sent If-Match.
func checkIfMatch(c echo.Context, version int64) error {
	want := c.Request().Header.Get("If-Match")
	if want == "" || want == "*" {
		return nil
	}
	if unq, err := strconv.Unquote(want); err == nil {
		want = unq
	}
	if want != strconv.FormatInt(version, 10) {
		return apperr.New(apperr.PreconditionFailed, "version_mismatch", "the flag is at version %d, not %s", version, want)
	}
	return nil
}

func (s *Server) deleteFlag(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	version, err := s.Store.DeleteFlag(c.Request().Context(), envID, actor(c), c.Param("key"), func(cur postgres.FlagRecord) error {
		return checkIfMatch(c, cur.Version)
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(HeaderEnvironmentVersion, strconv.FormatInt(version, 10))
	return c.NoContent(http.StatusNoContent)
}
