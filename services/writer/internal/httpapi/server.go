// Package httpapi is the writer's admin API over HTTP (echo): JSON in and out, bearer-token authentication
// with scopes, and one mapping from apperr kinds to HTTP statuses.
package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.uber.org/zap"
)

// Store is what the admin API needs from the database.
type Store interface {
	CreateProject(ctx context.Context, actor postgres.Actor, name string) (postgres.Project, error)
	ListProjects(ctx context.Context) ([]postgres.Project, error)
	GetProject(ctx context.Context, id int64) (postgres.Project, error)
	CreateEnvironment(ctx context.Context, projectID int64, name string, actor postgres.Actor) (postgres.Environment, error)
	ListEnvironments(ctx context.Context, projectID int64) ([]postgres.Environment, error)
	GetEnvironment(ctx context.Context, envID int64) (postgres.EnvironmentDetail, error)
	EnvironmentVersion(ctx context.Context, envID int64) (int64, error)
	RotateKey(ctx context.Context, envID int64, actor postgres.Actor, kind string, grace time.Duration) (postgres.KeyInfo, int64, error)
	RevokeKey(ctx context.Context, envID int64, actor postgres.Actor, keyID int64) (int64, error)
	SetGroupTypes(ctx context.Context, envID int64, actor postgres.Actor, types map[int]string) (int64, error)

	ListFlags(ctx context.Context, envID int64, q postgres.FlagQuery) ([]postgres.FlagRecord, bool, int64, error)
	GetFlag(ctx context.Context, envID int64, key string) (postgres.FlagRecord, int64, error)
	CreateFlag(ctx context.Context, envID int64, actor postgres.Actor, f postgres.FlagSpec) (postgres.FlagRecord, int64, error)
	UpdateFlag(ctx context.Context, envID int64, actor postgres.Actor, key, action string, edit func(postgres.FlagRecord) (postgres.FlagSpec, error)) (postgres.FlagRecord, int64, error)
	DeleteFlag(ctx context.Context, envID int64, actor postgres.Actor, key string, check func(postgres.FlagRecord) error) (int64, error)
	RestoreFlag(ctx context.Context, envID int64, actor postgres.Actor, key string) (postgres.FlagRecord, int64, error)

	ListCohorts(ctx context.Context, envID int64) ([]postgres.CohortRecord, error)
	GetCohort(ctx context.Context, envID, id int64) (postgres.CohortRecord, error)
	CreateCohort(ctx context.Context, envID int64, actor postgres.Actor, spec postgres.CohortSpec, members []string) (postgres.CohortRecord, int64, error)
	UpdateCohort(ctx context.Context, envID int64, actor postgres.Actor, id int64, edit func(postgres.CohortRecord) (postgres.CohortSpec, error)) (postgres.CohortRecord, int64, error)
	SetMembers(ctx context.Context, envID int64, actor postgres.Actor, id int64, members []string, replace bool, check func(postgres.CohortRecord) error) (postgres.CohortRecord, int64, error)
	ListMembers(ctx context.Context, envID, id int64, after string, limit int) ([]string, error)
	DeleteCohort(ctx context.Context, envID int64, actor postgres.Actor, id int64, check func(postgres.CohortRecord) error) (int64, error)

	ExportEnvironment(ctx context.Context, envID int64) (*postgres.Export, error)
	Import(ctx context.Context, envID int64, actor postgres.Actor, doc *postgres.Export) (postgres.ImportResult, error)
	CopyFlags(ctx context.Context, from, to int64, actor postgres.Actor, keys []string) (postgres.ImportResult, error)

	ListAudit(ctx context.Context, q postgres.AuditQuery) ([]postgres.AuditEntry, bool, error)

	CreateToken(ctx context.Context, actor postgres.Actor, name string, scopes []string, expiresAt *time.Time, secretHash string) (postgres.Token, error)
	ListTokens(ctx context.Context) ([]postgres.Token, error)
	GetToken(ctx context.Context, id int64) (postgres.Token, error)
	RevokeToken(ctx context.Context, actor postgres.Actor, id int64) error
}

var _ Store = (*postgres.DB)(nil)

// MaxBodyBytes bounds every request body but bulk uploads (cohort members, imports), which MaxUploadBytes
// bounds.
const (
	MaxBodyBytes   = 1 << 20
	MaxUploadBytes = 64 << 20
)

// HeaderEnvironmentVersion carries the environment version a response reflects or a change produced.
const HeaderEnvironmentVersion = "Halyard-Environment-Version"

// Server is the admin API.
type Server struct {
	Store      Store
	AdminToken string
	Log        *zap.Logger
	Ready      *atomic.Bool
}

// route is one admin API route and the scope it needs.
type route struct {
	method, path string
	scope        scope
	handle       func(s *Server, c echo.Context) error
	upload       bool // takes a large body (MaxUploadBytes)
}

// routes is the whole admin API under /api/v1; openapi.go describes each of them.
var routes = []route{
	{http.MethodPost, "/tokens", scopeAdmin, (*Server).createToken, false},
	{http.MethodGet, "/tokens", scopeAdmin, (*Server).listTokens, false},
	{http.MethodDelete, "/tokens/:token_id", scopeAdmin, (*Server).revokeToken, false},

	{http.MethodPost, "/projects", scopeAdmin, (*Server).createProject, false},
	{http.MethodGet, "/projects", scopeRead, (*Server).listProjects, false},
	{http.MethodGet, "/projects/:project_id", scopeRead, (*Server).getProject, false},
	{http.MethodPost, "/projects/:project_id/environments", scopeAdmin, (*Server).createEnvironment, false},
	{http.MethodGet, "/projects/:project_id/environments", scopeRead, (*Server).listEnvironments, false},
	{http.MethodGet, "/environments/:env_id", scopeRead, (*Server).getEnvironment, false},
	{http.MethodPost, "/environments/:env_id/keys/rotate", scopeAdmin, (*Server).rotateKey, false},
	{http.MethodDelete, "/environments/:env_id/keys/:key_id", scopeAdmin, (*Server).revokeKey, false},
	{http.MethodPut, "/environments/:env_id/group-types", scopeWrite, (*Server).setGroupTypes, false},

	{http.MethodGet, "/environments/:env_id/flags", scopeRead, (*Server).listFlags, false},
	{http.MethodPost, "/environments/:env_id/flags", scopeWrite, (*Server).createFlag, false},
	{http.MethodGet, "/environments/:env_id/flags/:key", scopeRead, (*Server).getFlag, false},
	{http.MethodPut, "/environments/:env_id/flags/:key", scopeWrite, (*Server).replaceFlag, false},
	{http.MethodPatch, "/environments/:env_id/flags/:key", scopeWrite, (*Server).patchFlag, false},
	{http.MethodDelete, "/environments/:env_id/flags/:key", scopeWrite, (*Server).deleteFlag, false},
	{http.MethodPost, "/environments/:env_id/flags/:key/restore", scopeWrite, (*Server).restoreFlag, false},
	{http.MethodPost, "/environments/:env_id/flags/:key/toggle", scopeWrite, (*Server).toggleFlag, false},

	{http.MethodGet, "/environments/:env_id/cohorts", scopeRead, (*Server).listCohorts, false},
	{http.MethodPost, "/environments/:env_id/cohorts", scopeWrite, (*Server).createCohort, false},
	{http.MethodGet, "/environments/:env_id/cohorts/:cohort_id", scopeRead, (*Server).getCohort, false},
	{http.MethodPatch, "/environments/:env_id/cohorts/:cohort_id", scopeWrite, (*Server).patchCohort, false},
	{http.MethodDelete, "/environments/:env_id/cohorts/:cohort_id", scopeWrite, (*Server).deleteCohort, false},
	{http.MethodGet, "/environments/:env_id/cohorts/:cohort_id/members", scopeRead, (*Server).listMembers, false},
	{http.MethodPut, "/environments/:env_id/cohorts/:cohort_id/members", scopeWrite, (*Server).replaceMembers, true},
	{http.MethodPost, "/environments/:env_id/cohorts/:cohort_id/members", scopeWrite, (*Server).appendMembers, true},

	{http.MethodGet, "/environments/:env_id/export", scopeRead, (*Server).export, false},
	{http.MethodPost, "/environments/:env_id/import", scopeWrite, (*Server).importDefinitions, true},
	{http.MethodPost, "/environments/:env_id/copy-flags", scopeWrite, (*Server).copyFlags, false},

	{http.MethodGet, "/audit", scopeRead, (*Server).listAudit, false},
}

// Handler returns the echo instance serving every route.
func (s *Server) Handler() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/api/v1/openapi.json", serveOpenAPI)

	// The middleware goes on each route, not on the group: Group.Use installs catch-all routes for every
	// method, which would turn a wrong method on a known path into 404 instead of 405 with Allow.
	api := e.Group("/api/v1")
	for _, r := range routes {
		limit := limitBody(MaxBodyBytes)
		if r.upload {
			limit = limitBody(MaxUploadBytes)
		}
		api.Add(r.method, r.path, func(c echo.Context) error { return r.handle(s, c) }, s.accessLog, s.authenticate, limit, requireScope(r.scope))
	}
	return e
}

// accessLog logs every admin call with its caller, status and duration: changes at info level, reads at
// debug level.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			status, _ = s.errorResponse(err)
		}
		level := zap.InfoLevel
		if c.Request().Method == http.MethodGet {
			level = zap.DebugLevel
		}
		if ce := s.Log.Check(level, "admin call"); ce != nil {
			ce.Write(zap.String("method", c.Request().Method), zap.String("route", c.Path()), zap.String("uri", c.Request().RequestURI),
				zap.Int("status", status), zap.Duration("took", time.Since(start)), zap.String("actor", actor(c).Name),
				zap.String("environment_version", c.Response().Header().Get(HeaderEnvironmentVersion)))
		}
		return err
	}
}

// limitBody refuses bodies over n bytes with 413, from the Content-Length or while reading.
func limitBody(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > n {
				return tooLarge(n)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, n)
			c.Set(bodyLimitKey, n)
			return next(c)
		}
	}
}

const bodyLimitKey = "halyard.body_limit"

func tooLarge(n int64) error {
	return apperr.New(apperr.TooLarge, "body_too_large", "the request body is over %d MiB", n>>20)
}

func (s *Server) readyz(c echo.Context) error {
	if s.Ready != nil && !s.Ready.Load() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "starting"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
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
			return he.Code, errorBody{Code: "body_too_large", Message: "the request body is too large"}
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

// trimmed is a helper for names: surrounding spaces never count.
func trimmed(s string) string { return strings.TrimSpace(s) }
