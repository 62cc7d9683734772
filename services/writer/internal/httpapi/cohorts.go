package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// CohortStore is what the cohort routes need.
type CohortStore interface {
	ListCohorts(ctx context.Context, envID int64) ([]admin.CohortRecord, error)
	GetCohort(ctx context.Context, envID, id int64) (admin.CohortRecord, error)
	CreateCohort(ctx context.Context, envID int64, actor admin.Actor, spec admin.CohortSpec, members []string) (admin.CohortRecord, int64, error)
	UpdateCohort(ctx context.Context, envID int64, actor admin.Actor, id int64, edit func(admin.CohortRecord) (admin.CohortSpec, error)) (admin.CohortRecord, int64, error)
	SetMembers(ctx context.Context, envID int64, actor admin.Actor, id int64, members []string, replace bool, check func(admin.CohortRecord) error) (admin.CohortRecord, int64, error)
	ListMembers(ctx context.Context, envID, id int64, after string, limit int) ([]string, error)
	DeleteCohort(ctx context.Context, envID int64, actor admin.Actor, id int64, check func(admin.CohortRecord) error) (int64, error)
}

type cohortDocument struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	IsStatic    bool            `json:"is_static"`
	Filters     json.RawMessage `json:"filters,omitempty"`
	Members     []string        `json:"members,omitempty"`
}

func (d cohortDocument) spec() admin.CohortSpec {
	return admin.CohortSpec{Name: strings.TrimSpace(d.Name), Description: d.Description, IsStatic: d.IsStatic, Filters: d.Filters}
}

func (s *Server) respondCohort(c echo.Context, status int, rec admin.CohortRecord, version int64) error {
	setVersion(c, version)
	setETag(c, rec.Version)
	return c.JSON(status, map[string]any{"cohort": rec, "environment_version": version})
}

func (s *Server) listCohorts(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	cs, err := s.Cohorts.ListCohorts(c.Request().Context(), envID)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []admin.CohortRecord{}
	}
	return c.JSON(http.StatusOK, map[string]any{"cohorts": cs})
}

func cohortPath(c echo.Context) (envID, id int64, err error) {
	if envID, err = pathInt64(c, "env_id"); err != nil {
		return 0, 0, err
	}
	id, err = pathInt64(c, "cohort_id")
	return envID, id, err
}

func (s *Server) getCohort(c echo.Context) error {
	envID, id, err := cohortPath(c)
	if err != nil {
		return err
	}
	rec, err := s.Cohorts.GetCohort(c.Request().Context(), envID, id)
	if err != nil {
		return err
	}
	setETag(c, rec.Version)
	return c.JSON(http.StatusOK, map[string]any{"cohort": rec})
}

func (s *Server) createCohort(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	var doc cohortDocument
	if err := readJSON(c, &doc); err != nil {
		return err
	}
	spec := doc.spec()
	if err := admin.ValidateCohort(spec, doc.Members); err != nil {
		return err
	}
	rec, version, err := s.Cohorts.CreateCohort(c.Request().Context(), envID, actor(c), spec, doc.Members)
	if err != nil {
		return err
	}
	return s.respondCohort(c, http.StatusCreated, rec, version)
}

// patchCohort merges a patch of name, description and filters (RFC 7396).
func (s *Server) patchCohort(c echo.Context) error {
	envID, id, err := cohortPath(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	rec, version, err := s.Cohorts.UpdateCohort(c.Request().Context(), envID, actor(c), id, func(cur admin.CohortRecord) (admin.CohortSpec, error) {
		if err := checkIfMatch(c, "cohort", cur.Version); err != nil {
			return cur.CohortSpec, err
		}
		doc, _ := json.Marshal(cohortDocument{Name: cur.Name, Description: cur.Description, IsStatic: cur.IsStatic, Filters: cur.Filters})
		merged, err := mergePatch(doc, body)
		if err != nil {
			return cur.CohortSpec, badJSON(err)
		}
		var next cohortDocument
		if err := decodeStrict(merged, &next); err != nil {
			return cur.CohortSpec, err
		}
		if next.Members != nil {
			return cur.CohortSpec, invalid("members", "members are uploaded to …/members")
		}
		spec := next.spec()
		return spec, admin.ValidateCohort(spec, nil)
	})
	if err != nil {
		return err
	}
	return s.respondCohort(c, http.StatusOK, rec, version)
}

func (s *Server) deleteCohort(c echo.Context) error {
	envID, id, err := cohortPath(c)
	if err != nil {
		return err
	}
	version, err := s.Cohorts.DeleteCohort(c.Request().Context(), envID, actor(c), id, func(cur admin.CohortRecord) error {
		return checkIfMatch(c, "cohort", cur.Version)
	})
	if err != nil {
		return err
	}
	setVersion(c, version)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listMembers(c echo.Context) error {
	envID, id, err := cohortPath(c)
	if err != nil {
		return err
	}
	limit, err := queryLimit(c, 1000, 10000)
	if err != nil {
		return err
	}
	cur, err := queryCursor(c)
	if err != nil {
		return err
	}
	members, err := s.Cohorts.ListMembers(c.Request().Context(), envID, id, cur.Member, limit+1)
	if err != nil {
		return err
	}
	out := map[string]any{"members": members, "next_cursor": nil}
	if len(members) > limit {
		out["members"] = members[:limit]
		out["next_cursor"] = cursor{Member: members[limit-1]}.encode()
	}
	if members == nil {
		out["members"] = []string{}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) replaceMembers(c echo.Context) error { return s.uploadMembers(c, true) }
func (s *Server) appendMembers(c echo.Context) error  { return s.uploadMembers(c, false) }

// uploadMembers takes member ids as JSON (["a", …] or {"members": [...]}) or CSV (first column; a header
// row "distinct_id", "id" or "member" is skipped).
func (s *Server) uploadMembers(c echo.Context, replace bool) error {
	envID, id, err := cohortPath(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	members, err := parseMembers(c.Request().Header.Get(echo.HeaderContentType), body)
	if err != nil {
		return err
	}
	if err := admin.ValidateMembers(members); err != nil {
		return err
	}
	rec, version, err := s.Cohorts.SetMembers(c.Request().Context(), envID, actor(c), id, members, replace, func(cur admin.CohortRecord) error {
		return checkIfMatch(c, "cohort", cur.Version)
	})
	if err != nil {
		return err
	}
	return s.respondCohort(c, http.StatusOK, rec, version)
}

func parseMembers(contentType string, body []byte) ([]string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "text/csv" {
		return parseCSV(body)
	}
	if mt != "" && mt != echo.MIMEApplicationJSON {
		return nil, apperr.New(apperr.BadRequest, "unsupported_media_type", "send application/json or text/csv, not %s", mt)
	}
	var list []string
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		return list, decodeStrict(body, &list)
	}
	var obj struct {
		Members []string `json:"members"`
	}
	return obj.Members, decodeStrict(body, &obj)
}

func parseCSV(body []byte) ([]string, error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var out []string
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, apperr.New(apperr.BadRequest, "invalid_csv", "CSV line %d: %v", line, err)
		}
		v := strings.TrimSpace(rec[0])
		if line == 1 && (v == "distinct_id" || v == "id" || v == "member") {
			continue
		}
		if v != "" {
			out = append(out, v)
		}
	}
}
