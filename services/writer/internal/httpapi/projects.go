package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

type nameBody struct {
	Name string `json:"name"`
}

func readName(c echo.Context) (string, error) {
	body, err := readBody(c)
	if err != nil {
		return "", err
	}
	var in nameBody
	if err := decodeStrict(body, &in); err != nil {
		return "", err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return "", invalid("name", "name is required, at most 200 characters")
	}
	return in.Name, nil
}

func (s *Server) createProject(c echo.Context) error {
	name, err := readName(c)
	if err != nil {
		return err
	}
	p, err := s.Store.CreateProject(c.Request().Context(), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
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
	c.Response().Header().Set(HeaderEnvironmentVersion, strconv.FormatInt(env.Version, 10))
	return c.JSON(http.StatusCreated, env)
}

// Problem is one validation problem, at a field path.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func invalid(path, message string) error {
	e := apperr.New(apperr.Invalid, "validation_failed", "%s", message)
	e.Details = []Problem{{Path: path, Message: message}}
	return e
}
