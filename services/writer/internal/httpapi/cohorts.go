package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/labstack/echo/v4"
)

// MaxCohortMembers bounds one upload.
const MaxCohortMembers = 1_000_000

type cohortDocument struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	IsStatic    bool            `json:"is_static"`
	Filters     json.RawMessage `json:"filters,omitempty"`
	Members     []string        `json:"members,omitempty"`
}

func (d cohortDocument) spec() postgres.CohortSpec {
	return postgres.CohortSpec{Name: trimmed(d.Name), Description: d.Description, IsStatic: d.IsStatic, Filters: d.Filters}
}

// validateCohort checks a cohort's name and, for a property cohort, its tree: every leaf is validated as a
// flag condition property would be (shared/flag), at its path in the tree.
func validateCohort(spec postgres.CohortSpec, members []string) error {
	var problems []flag.Problem
	if spec.Name == "" || len(spec.Name) > 200 {
		problems = append(problems, flag.Problem{Path: "name", Message: "name is required, at most 200 characters"})
	}
	if spec.IsStatic {
		if len(spec.Filters) > 0 && string(spec.Filters) != "null" {
			problems = append(problems, flag.Problem{Path: "filters", Message: "a static cohort has members, not filters"})
		}
		problems = append(problems, memberProblems(members)...)
	} else {
		if len(members) > 0 {
			problems = append(problems, flag.Problem{Path: "members", Message: "a property cohort has filters, not members"})
		}
		problems = append(problems, treeProblems(spec.Filters)...)
	}
	if len(problems) > 0 {
		return postgres.Invalid(problems)
	}
	return nil
}

func memberProblems(members []string) []flag.Problem {
	if len(members) > MaxCohortMembers {
		return []flag.Problem{{Path: "members", Message: fmt.Sprintf("at most %d members per upload", MaxCohortMembers)}}
	}
	for i, m := range members {
		if m == "" || len(m) > 400 {
			return []flag.Problem{{Path: fmt.Sprintf("members[%d]", i), Message: "a member id is 1 to 400 characters"}}
		}
	}
	return nil
}

func treeProblems(filters json.RawMessage) []flag.Problem {
	c := flag.Cohort{Filters: filters}
	tree, err := c.PropertyTree()
	if err != nil {
		return []flag.Problem{{Path: "filters", Message: "not a property group: " + err.Error()}}
	}
	if tree == nil {
		return []flag.Problem{{Path: "filters", Message: "a property cohort needs filters: {\"properties\": {\"type\": \"OR\", \"values\": [...]}}"}}
	}
	var out []flag.Problem
	var walk func(path string, g *flag.PropertyGroup)
	walk = func(path string, g *flag.PropertyGroup) {
		switch g.Type {
		case "AND", "OR", "property":
		default:
			out = append(out, flag.Problem{Path: path + ".type", Message: "a group's type is AND or OR"})
		}
		for i, n := range g.Values {
			p := fmt.Sprintf("%s.values[%d]", path, i)
			switch {
			case n.Group != nil:
				walk(p, n.Group)
			case n.Filter != nil:
				f := flag.Flag{Key: "cohort", Filters: flag.Filters{Groups: []flag.Condition{{Properties: []flag.Property{*n.Filter}}}}}
				for _, pr := range flag.Validate(&f) {
					out = append(out, flag.Problem{Path: p + strings.TrimPrefix(pr.Path, "filters.groups[0].properties[0]"), Message: pr.Message})
				}
			}
		}
	}
	walk("filters.properties", tree)
	return out
}

func (s *Server) respondCohort(c echo.Context, status int, rec postgres.CohortRecord, version int64) error {
	setVersion(c, version)
	setETag(c, rec.Version)
	return c.JSON(status, map[string]any{"cohort": rec, "environment_version": version})
}

func (s *Server) listCohorts(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	cs, err := s.Store.ListCohorts(c.Request().Context(), envID)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []postgres.CohortRecord{}
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
	rec, err := s.Store.GetCohort(c.Request().Context(), envID, id)
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
	if err := validateCohort(spec, doc.Members); err != nil {
		return err
	}
	rec, version, err := s.Store.CreateCohort(c.Request().Context(), envID, actor(c), spec, doc.Members)
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
	rec, version, err := s.Store.UpdateCohort(c.Request().Context(), envID, actor(c), id, func(cur postgres.CohortRecord) (postgres.CohortSpec, error) {
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
		return spec, validateCohort(spec, nil)
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
	version, err := s.Store.DeleteCohort(c.Request().Context(), envID, actor(c), id, func(cur postgres.CohortRecord) error {
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
	members, err := s.Store.ListMembers(c.Request().Context(), envID, id, cur.Member, limit+1)
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
	if problems := memberProblems(members); problems != nil {
		return postgres.Invalid(problems)
	}
	rec, version, err := s.Store.SetMembers(c.Request().Context(), envID, actor(c), id, members, replace, func(cur postgres.CohortRecord) error {
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
