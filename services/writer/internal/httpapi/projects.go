package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

type nameBody struct {
	Name string `json:"name"`
}

func readName(c echo.Context) (string, error) {
	var in nameBody
	if err := readJSON(c, &in); err != nil {
		return "", err
	}
	if in.Name = trimmed(in.Name); in.Name == "" || len(in.Name) > 200 {
		return "", invalid("name", "name is required, at most 200 characters")
	}
	return in.Name, nil
}

func (s *Server) createProject(c echo.Context) error {
	name, err := readName(c)
	if err != nil {
		return err
	}
	p, err := s.Store.CreateProject(c.Request().Context(), actor(c), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *Server) listProjects(c echo.Context) error {
	ps, err := s.Store.ListProjects(c.Request().Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []postgres.Project{}
	}
	return c.JSON(http.StatusOK, map[string]any{"projects": ps})
}

func (s *Server) getProject(c echo.Context) error {
	id, err := pathInt64(c, "project_id")
	if err != nil {
		return err
	}
	p, err := s.Store.GetProject(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// createEnvironment answers with both keys: the server key is shown only here.
func (s *Server) createEnvironment(c echo.Context) error {
	projectID, err := pathInt64(c, "project_id")
	if err != nil {
		return err
	}
	name, err := readName(c)
	if err != nil {
		return err
	}
	env, err := s.Store.CreateEnvironment(c.Request().Context(), projectID, name, actor(c))
	if err != nil {
		return err
	}
	setVersion(c, env.Version)
	return c.JSON(http.StatusCreated, env)
}

func (s *Server) listEnvironments(c echo.Context) error {
	projectID, err := pathInt64(c, "project_id")
	if err != nil {
		return err
	}
	envs, err := s.Store.ListEnvironments(c.Request().Context(), projectID)
	if err != nil {
		return err
	}
	if envs == nil {
		envs = []postgres.Environment{}
	}
	return c.JSON(http.StatusOK, map[string]any{"environments": envs})
}

func (s *Server) getEnvironment(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	d, err := s.Store.GetEnvironment(c.Request().Context(), envID)
	if err != nil {
		return err
	}
	setVersion(c, d.Version)
	return c.JSON(http.StatusOK, d)
}

type rotateRequest struct {
	Kind         string `json:"kind"`
	GraceSeconds int64  `json:"grace_seconds"`
}

// maxGrace bounds how long a rotated key may live on.
const maxGrace = 90 * 24 * time.Hour

// rotateKey issues a new key of a kind; the old ones stay valid for grace_seconds, then are refused.
func (s *Server) rotateKey(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	var in rotateRequest
	if err := readJSON(c, &in); err != nil {
		return err
	}
	var problems []Problem
	if in.Kind != "sdk" && in.Kind != "server" {
		problems = append(problems, Problem{"kind", "must be sdk or server"})
	}
	grace := time.Duration(in.GraceSeconds) * time.Second
	if in.GraceSeconds < 0 || grace > maxGrace {
		problems = append(problems, Problem{"grace_seconds", "must be from 0 (revoke now) to 7776000 (90 days)"})
	}
	if len(problems) > 0 {
		return invalidAll(problems)
	}
	k, version, err := s.Store.RotateKey(c.Request().Context(), envID, actor(c), in.Kind, grace)
	if err != nil {
		return err
	}
	setVersion(c, version)
	return c.JSON(http.StatusCreated, map[string]any{"key": k, "environment_version": version})
}

func (s *Server) revokeKey(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	keyID, err := pathInt64(c, "key_id")
	if err != nil {
		return err
	}
	version, err := s.Store.RevokeKey(c.Request().Context(), envID, actor(c), keyID)
	if err != nil {
		return err
	}
	setVersion(c, version)
	return c.NoContent(http.StatusNoContent)
}

// setGroupTypes replaces the environment's {"0": "company", …} mapping.
func (s *Server) setGroupTypes(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	var in map[string]string
	if err := readJSON(c, &in); err != nil {
		return err
	}
	types, err := groupTypesOf(in)
	if err != nil {
		return err
	}
	version, err := s.Store.SetGroupTypes(c.Request().Context(), envID, actor(c), types)
	if err != nil {
		return err
	}
	setVersion(c, version)
	return c.JSON(http.StatusOK, map[string]any{"group_types": in, "environment_version": version})
}

func groupTypesOf(in map[string]string) (map[int]string, error) {
	out := map[int]string{}
	var problems []Problem
	for k, name := range in {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i > 4 {
			problems = append(problems, Problem{k, "group type indexes are 0 to 4"})
			continue
		}
		if name = trimmed(name); name == "" || len(name) > 200 {
			problems = append(problems, Problem{k, "a group type name is 1 to 200 characters"})
		}
		out[i] = name
	}
	if len(problems) > 0 {
		return nil, invalidAll(problems)
	}
	return out, nil
}

// Problem is one validation problem, at a field path.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func invalid(path, message string) error {
	return invalidAll([]Problem{{Path: path, Message: message}})
}

func invalidAll(problems []Problem) error {
	e := apperr.New(apperr.Invalid, "validation_failed", "%s: %s", problems[0].Path, problems[0].Message)
	e.Details = problems
	return e
}
