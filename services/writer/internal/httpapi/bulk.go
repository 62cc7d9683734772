package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/labstack/echo/v4"
)

func (s *Server) export(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	doc, err := s.Store.ExportEnvironment(c.Request().Context(), envID)
	if err != nil {
		return err
	}
	setVersion(c, doc.EnvironmentVersion)
	return c.JSON(http.StatusOK, doc)
}

// importDefinitions takes Halyard's export ({"format": "halyard-export/v1", …}) or PostHog's local-evaluation
// payload ({"flags": [...], "group_type_mapping": {...}, "cohorts": {...}}) and applies it in one
// transaction that produces one environment version.
func (s *Server) importDefinitions(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	doc, err := parseImport(body)
	if err != nil {
		return err
	}
	if err := validateImport(doc); err != nil {
		return err
	}
	res, err := s.Store.Import(c.Request().Context(), envID, actor(c), doc)
	if err != nil {
		return err
	}
	setVersion(c, res.EnvironmentVersion)
	return c.JSON(http.StatusOK, res)
}

// parseImport tells the two document kinds apart by their top-level fields: "format" is Halyard's export
// (decoded strictly), "flags", "group_type_mapping" or "cohorts" PostHog's payload. Anything else, such as
// {} or a typo, is refused rather than imported as nothing.
func parseImport(body []byte) (*postgres.Export, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, badJSON(err)
	}
	if rawFormat, ok := top["format"]; ok {
		var format string
		if err := json.Unmarshal(rawFormat, &format); err != nil {
			return nil, badJSON(&json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[string](), Field: "format"})
		}
		if format != postgres.ExportFormat {
			return nil, invalid("format", fmt.Sprintf("unknown format %q (this writer reads %s)", format, postgres.ExportFormat))
		}
		var doc postgres.Export
		return &doc, decodeStrict(body, &doc)
	}
	_, hasFlags := top["flags"]
	_, hasTypes := top["group_type_mapping"]
	_, hasCohorts := top["cohorts"]
	if !hasFlags && !hasTypes && !hasCohorts {
		return nil, apperr.New(apperr.BadRequest, "unrecognized_import", "the body is neither a Halyard export (with \"format\": %q) "+
			"nor a PostHog local-evaluation payload (with \"flags\", \"group_type_mapping\" or \"cohorts\")", postgres.ExportFormat)
	}
	le, err := flag.ParseLocalEvaluation(body)
	if err != nil {
		return nil, badJSON(err)
	}
	doc := &postgres.Export{Format: postgres.ExportFormat, GroupTypes: map[string]string{}}
	for i, n := range le.GroupTypes {
		doc.GroupTypes[strconv.Itoa(i)] = n
	}
	for _, ch := range le.Cohorts {
		doc.Cohorts = append(doc.Cohorts, postgres.ExportCohort{ID: ch.ID, CohortSpec: postgres.CohortSpec{
			Name: postHogCohortName(ch.ID), Filters: ch.Filters}})
	}
	for _, f := range le.Flags {
		if f.Deleted {
			continue
		}
		doc.Flags = append(doc.Flags, postgres.ExportFlag{ID: f.ID, Key: f.Key, Name: f.Name, Description: f.Description,
			Filters: f.Filters, Active: f.Active, EnsureExperienceContinuity: f.EnsureExperienceContinuity,
			BucketingIdentifier: f.BucketingIdentifier})
	}
	if problems := resolveDependencyKeys(doc.Flags); len(problems) > 0 {
		return nil, postgres.Invalid(problems)
	}
	doc.Cohorts = append(doc.Cohorts, staticCohortPlaceholders(doc.Flags, doc.Cohorts)...)
	return doc, nil
}

// validateImport validates every flag and cohort of the document and reports every problem, each path
// prefixed by the item it is in.
func validateImport(doc *postgres.Export) error {
	var problems []flag.Problem
	if _, err := groupTypesOf(doc.GroupTypes); err != nil {
		problems = append(problems, flag.Problem{Path: "group_types", Message: err.Error()})
	}
	for i, ch := range doc.Cohorts {
		ch.Name = trimmed(ch.Name)
		if err := validateCohort(ch.CohortSpec, ch.Members); err != nil {
			for _, p := range problemsOf(err) {
				problems = append(problems, flag.Problem{Path: fmt.Sprintf("cohorts[%d].%s", i, p.Path), Message: p.Message})
			}
		}
	}
	for i, f := range doc.Flags {
		spec := f.Spec()
		if err := validateFlag(&spec); err != nil {
			for _, p := range problemsOf(err) {
				problems = append(problems, flag.Problem{Flag: f.Key, Path: fmt.Sprintf("flags[%d].%s", i, p.Path), Message: p.Message})
			}
		}
	}
	if len(problems) > 0 {
		return postgres.Invalid(problems)
	}
	return nil
}

type copyRequest struct {
	TargetEnvironmentID int64    `json:"target_environment_id"`
	Keys                []string `json:"keys"`
}

// copyFlags copies the chosen flags of this environment into the target in one transaction.
func (s *Server) copyFlags(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	var in copyRequest
	if err := readJSON(c, &in); err != nil {
		return err
	}
	switch {
	case in.TargetEnvironmentID <= 0:
		return invalid("target_environment_id", "required")
	case in.TargetEnvironmentID == envID:
		return invalid("target_environment_id", "the target must be another environment")
	case len(in.Keys) == 0:
		return invalid("keys", "list at least one flag key")
	}
	if _, err := s.Store.EnvironmentVersion(c.Request().Context(), in.TargetEnvironmentID); err != nil {
		return err
	}
	res, err := s.Store.CopyFlags(c.Request().Context(), envID, in.TargetEnvironmentID, actor(c), in.Keys)
	if err != nil {
		return err
	}
	setVersion(c, res.EnvironmentVersion)
	return c.JSON(http.StatusOK, res)
}

func (s *Server) listAudit(c echo.Context) error {
	var (
		q   postgres.AuditQuery
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
	entries, more, err := s.Store.ListAudit(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := map[string]any{"entries": entries, "next_cursor": nil}
	if entries == nil {
		out["entries"] = []postgres.AuditEntry{}
	}
	if more {
		out["next_cursor"] = cursor{ID: entries[len(entries)-1].ID}.encode()
	}
	return c.JSON(http.StatusOK, out)
}
