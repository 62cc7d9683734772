// Package httpapi is the writer's admin API over HTTP (echo): JSON in and out, bearer-token authentication,
// and one mapping from apperr kinds to HTTP statuses.
package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.uber.org/zap"
)

// Store is what the admin API needs from the database.
type Store interface {
	CreateProject(ctx context.Context, name string) (postgres.Project, error)
	CreateEnvironment(ctx context.Context, projectID int64, name, actor string) (postgres.Environment, error)
	ListFlags(ctx context.Context, envID int64) ([]postgres.FlagRecord, int64, error)
	GetFlag(ctx context.Context, envID int64, key string) (postgres.FlagRecord, error)
	CreateFlag(ctx context.Context, envID int64, actor string, f flag.Flag) (postgres.FlagRecord, int64, error)
	UpdateFlag(ctx context.Context, envID int64, actor, key string, edit func(postgres.FlagRecord) (flag.Flag, error)) (postgres.FlagRecord, int64, error)
	DeleteFlag(ctx context.Context, envID int64, actor, key string, check func(postgres.FlagRecord) error) (int64, error)
	EnvironmentVersion(ctx context.Context, envID int64) (int64, error)
}

var _ Store = (*postgres.DB)(nil)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// HeaderEnvironmentVersion carries the environment version a response reflects or a change produced.
const HeaderEnvironmentVersion = "Halyard-Environment-Version"

// Server is the admin API.
type Server struct {
	Store      Store
	AdminToken string
	Log        *zap.Logger
	Ready      *atomic.Bool
}

// Handler returns the echo instance serving every route.
func (s *Server) Handler() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit("1M"))
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)

	api := e.Group("/api/v1", s.authenticate)
	api.POST("/projects", s.createProject)
	api.POST("/projects/:project_id/environments", s.createEnvironment)
	api.GET("/environments/:env_id/flags", s.listFlags)
	api.POST("/environments/:env_id/flags", s.createFlag)
	api.GET("/environments/:env_id/flags/:key", s.getFlag)
	api.PATCH("/environments/:env_id/flags/:key", s.patchFlag)
	api.DELETE("/environments/:env_id/flags/:key", s.deleteFlag)
	return e
}

func (s *Server) readyz(c echo.Context) error {
	if s.Ready != nil && !s.Ready.Load() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "starting"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// actorKey is where authenticate leaves the caller's name for the audit log.
const actorKey = "halyard.actor"

// authenticate accepts the bootstrap admin token, compared in constant time.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok || token == "" {
			return apperr.New(apperr.Unauthorized, "unauthenticated", "send Authorization: Bearer <admin token>")
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(s.AdminToken)) != 1 {
			return apperr.New(apperr.Unauthorized, "invalid_token", "the admin token is not valid")
		}
		c.Set(actorKey, "bootstrap")
		return next(c)
	}
}

func actor(c echo.Context) string {
	a, _ := c.Get(actorKey).(string)
	return a
}

// errorBody is every error response.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

var statusOf = map[apperr.Kind]int{
	apperr.Internal:           http.StatusInternalServerError,
	apperr.BadRequest:         http.StatusBadRequest,
	apperr.Invalid:            http.StatusUnprocessableEntity,
	apperr.NotFound:           http.StatusNotFound,
	apperr.Conflict:           http.StatusConflict,
	apperr.Unauthorized:       http.StatusUnauthorized,
	apperr.Forbidden:          http.StatusForbidden,
	apperr.PreconditionFailed: http.StatusPreconditionFailed,
	apperr.TooLarge:           http.StatusRequestEntityTooLarge,
	apperr.Unavailable:        http.StatusServiceUnavailable,
}

// handleError is the one place errors become HTTP responses.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := s.errorResponse(err)
	if status >= 500 {
		s.Log.Error("request failed", zap.String("method", c.Request().Method), zap.String("path", c.Path()), zap.Error(err))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}

func (s *Server) errorResponse(err error) (int, errorBody) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			return he.Code, errorBody{Code: "body_too_large", Message: "the request body is over 1 MiB"}
		case http.StatusNotFound:
			return he.Code, errorBody{Code: "route_not_found", Message: "no such route"}
		case http.StatusMethodNotAllowed:
			return he.Code, errorBody{Code: "method_not_allowed", Message: "method not allowed on this route"}
		}
		return he.Code, errorBody{Code: "http_error", Message: http.StatusText(he.Code)}
	}
	ae := apperr.As(err)
	return statusOf[ae.Kind], errorBody{Code: ae.Code, Message: ae.Message, Details: ae.Details}
}
