package httpapi

import (
	"context"
	"net/http"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/labstack/echo/v4"
)

// DefinitionStore is what the evaluate route needs: an environment's live definitions at one version.
type DefinitionStore interface {
	Definitions(ctx context.Context, envID int64) (admin.Definitions, error)
}

// evaluateRequest asks what the environment's flags answer a person, as an evaluator would; draft is a flag
// document as PUT /flags/{key} takes it, key included, evaluated in place of the stored flag.
type evaluateRequest struct {
	DistinctID       string                    `json:"distinct_id"`
	PersonProperties map[string]any            `json:"person_properties"`
	Groups           map[string]string         `json:"groups"`
	GroupProperties  map[string]map[string]any `json:"group_properties"`
	FlagKeys         []string                  `json:"flag_keys"`
	Draft            *flagDocument             `json:"draft"`
}

// evaluate answers every flag (or the flag_keys asked for) for one person with the shared engine over the
// environment's current definitions, a draft in place when sent. It changes nothing and is not audited.
func (s *Server) evaluate(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in evaluateRequest
	if err := decodeStrictNumbers(body, &in); err != nil {
		return err
	}
	req := admin.EvaluationRequest{DistinctID: in.DistinctID, PersonProperties: in.PersonProperties, Groups: in.Groups,
		GroupProperties: in.GroupProperties, FlagKeys: in.FlagKeys}
	if in.Draft != nil {
		spec := in.Draft.toSpec()
		req.Draft = &spec
	}
	defs, err := s.Definitions.Definitions(c.Request().Context(), envID)
	if err != nil {
		return err
	}
	out, err := admin.Evaluate(defs, req)
	if err != nil {
		return err
	}
	setVersion(c, out.EnvironmentVersion)
	return c.JSON(http.StatusOK, out)
}
