package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/labstack/echo/v4"
)

// EnvironmentStore is what the routes of projects, environments, their keys and group types need.
type EnvironmentStore interface {
	CreateProject(ctx context.Context, actor admin.Actor, name string) (admin.Project, error)
	ListProjects(ctx context.Context) ([]admin.Project, error)
	GetProject(ctx context.Context, id int64) (admin.Project, error)
	CreateEnvironment(ctx context.Context, projectID int64, name string, actor admin.Actor) (admin.Environment, error)
	ListEnvironments(ctx context.Context, projectID int64) ([]admin.Environment, error)
	GetEnvironment(ctx context.Context, envID int64) (admin.EnvironmentDetail, error)
	UpdateEnvironment(ctx context.Context, envID int64, actor admin.Actor, edit func(cur admin.Environment) (admin.Environment, error)) (admin.Environment, error)
	RotateKey(ctx context.Context, envID int64, actor admin.Actor, kind string, grace time.Duration) (admin.KeyInfo, int64, error)
	RevokeKey(ctx context.Context, envID int64, actor admin.Actor, keyID int64) (int64, error)
	SetGroupTypes(ctx context.Context, envID int64, actor admin.Actor, types map[int]string) (int64, error)
}

type nameBody struct {
	Name string `json:"name"`
}

func readName(c echo.Context) (string, error) {
	var in nameBody
	if err := readJSON(c, &in); err != nil {
		return "", err
	}
	return admin.ValidateName(in.Name)
}

func (s *Server) createProject(c echo.Context) error {
	name, err := readName(c)
	if err != nil {
		return err
	}
	p, err := s.Environments.CreateProject(c.Request().Context(), actor(c), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *Server) listProjects(c echo.Context) error {
	ps, err := s.Environments.ListProjects(c.Request().Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []admin.Project{}
	}
	return c.JSON(http.StatusOK, map[string]any{"projects": ps})
}

func (s *Server) getProject(c echo.Context) error {
	id, err := pathInt64(c, "project_id")
	if err != nil {
		return err
	}
	p, err := s.Environments.GetProject(c.Request().Context(), id)
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
	env, err := s.Environments.CreateEnvironment(c.Request().Context(), projectID, name, actor(c))
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
	envs, err := s.Environments.ListEnvironments(c.Request().Context(), projectID)
	if err != nil {
		return err
	}
	if envs == nil {
		envs = []admin.Environment{}
	}
	return c.JSON(http.StatusOK, map[string]any{"environments": envs})
}

func (s *Server) getEnvironment(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	d, err := s.Environments.GetEnvironment(c.Request().Context(), envID)
	if err != nil {
		return err
	}
	setVersion(c, d.Version)
	return c.JSON(http.StatusOK, d)
}

// patchEnvironment changes the environment's name, label, colour or protection; the fields left out stay.
// A patch with none of them changes nothing and answers the environment as it is.
func (s *Server) patchEnvironment(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	var p admin.EnvironmentPatch
	if err := readJSON(c, &p); err != nil {
		return err
	}
	if p, err = p.Validate(); err != nil {
		return err
	}
	if p.Empty() {
		d, err := s.Environments.GetEnvironment(c.Request().Context(), envID)
		if err != nil {
			return err
		}
		setVersion(c, d.Version)
		return c.JSON(http.StatusOK, d.Environment)
	}
	env, err := s.Environments.UpdateEnvironment(c.Request().Context(), envID, actor(c), func(cur admin.Environment) (admin.Environment, error) {
		if err := checkIfMatch(c, "environment", cur.Version); err != nil {
			return cur, err
		}
		return p.Apply(cur), nil
	})
	if err != nil {
		return err
	}
	setVersion(c, env.Version)
	return c.JSON(http.StatusOK, env)
}

type rotateRequest struct {
	Kind         string `json:"kind"`
	GraceSeconds int64  `json:"grace_seconds"`
}

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
	grace, err := admin.ValidateRotation(in.Kind, in.GraceSeconds)
	if err != nil {
		return err
	}
	k, version, err := s.Environments.RotateKey(c.Request().Context(), envID, actor(c), in.Kind, grace)
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
	version, err := s.Environments.RevokeKey(c.Request().Context(), envID, actor(c), keyID)
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
	types, err := admin.ParseGroupTypes(in)
	if err != nil {
		return err
	}
	version, err := s.Environments.SetGroupTypes(c.Request().Context(), envID, actor(c), types)
	if err != nil {
		return err
	}
	setVersion(c, version)
	return c.JSON(http.StatusOK, map[string]any{"group_types": in, "environment_version": version})
}
