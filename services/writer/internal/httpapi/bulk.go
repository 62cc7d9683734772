package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/labstack/echo/v4"
)

// BulkStore is what the export, import and copy routes need.
type BulkStore interface {
	ExportEnvironment(ctx context.Context, envID int64) (*admin.Export, error)
	Import(ctx context.Context, envID int64, actor admin.Actor, doc *admin.Export) (admin.ImportResult, error)
	CopyFlags(ctx context.Context, from, to int64, actor admin.Actor, keys []string) (admin.ImportResult, error)
	EnvironmentVersion(ctx context.Context, envID int64) (int64, error)
}

func (s *Server) export(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	doc, err := s.Bulk.ExportEnvironment(c.Request().Context(), envID)
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
	if err := admin.ValidateImport(doc); err != nil {
		return err
	}
	res, err := s.Bulk.Import(c.Request().Context(), envID, actor(c), doc)
	if err != nil {
		return err
	}
	setVersion(c, res.EnvironmentVersion)
	return c.JSON(http.StatusOK, res)
}

// parseImport tells the two document kinds apart by their top-level fields: "format" is Halyard's export
// (decoded strictly), "flags", "group_type_mapping" or "cohorts" PostHog's payload. Anything else, such as
// {} or a typo, is refused rather than imported as nothing.
func parseImport(body []byte) (*admin.Export, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, badJSON(err)
	}
	if rawFormat, ok := top["format"]; ok {
		var format string
		if err := json.Unmarshal(rawFormat, &format); err != nil {
			return nil, badJSON(&json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[string](), Field: "format"})
		}
		if format != admin.ExportFormat {
			return nil, invalid("format", fmt.Sprintf("unknown format %q (this writer reads %s)", format, admin.ExportFormat))
		}
		var doc admin.Export
		return &doc, decodeStrict(body, &doc)
	}
	_, hasFlags := top["flags"]
	_, hasTypes := top["group_type_mapping"]
	_, hasCohorts := top["cohorts"]
	if !hasFlags && !hasTypes && !hasCohorts {
		return nil, apperr.New(apperr.BadRequest, "unrecognized_import", "the body is neither a Halyard export (with \"format\": %q) "+
			"nor a PostHog local-evaluation payload (with \"flags\", \"group_type_mapping\" or \"cohorts\")", admin.ExportFormat)
	}
	le, err := flag.ParseLocalEvaluation(body)
	if err != nil {
		return nil, badJSON(err)
	}
	return admin.FromPostHog(le)
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
	if err := admin.ValidateCopy(envID, in.TargetEnvironmentID, in.Keys); err != nil {
		return err
	}
	if _, err := s.Bulk.EnvironmentVersion(c.Request().Context(), in.TargetEnvironmentID); err != nil {
		return err
	}
	res, err := s.Bulk.CopyFlags(c.Request().Context(), envID, in.TargetEnvironmentID, actor(c), in.Keys)
	if err != nil {
		return err
	}
	setVersion(c, res.EnvironmentVersion)
	return c.JSON(http.StatusOK, res)
}
