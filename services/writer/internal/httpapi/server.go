// Package httpapi is the writer's admin API over HTTP (echo): JSON in and out, bearer-token authentication
// with scopes, and one mapping from apperr kinds to HTTP statuses. It decodes requests into package admin's
// types, checks them with admin's rules, and stores them through one small interface per resource.
package httpapi

import (
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// MaxBodyBytes bounds every request body but bulk uploads (cohort members, imports), which MaxUploadBytes
// bounds.
const (
	MaxBodyBytes   = 1 << 20
	MaxUploadBytes = 64 << 20
)

// HeaderEnvironmentVersion carries the environment version a response reflects or a change produced.
const HeaderEnvironmentVersion = "Halyard-Environment-Version"

// Server is the admin API. Each resource's handlers reach the database through their own small interface,
// defined next to them (FlagStore in flags.go, …); the writer sets every one to its *postgres.DB.
type Server struct {
	Environments EnvironmentStore // projects, environments, their keys and group types
	Flags        FlagStore
	Cohorts      CohortStore
	Bulk         BulkStore // export, import, copy
	Audit        AuditStore
	Definitions  DefinitionStore // what evaluate compiles
	Events       *VersionFeed    // what the events streams follow
	Tokens       TokenStore
	AdminToken   string
	Log          *zap.Logger
	Ready        *atomic.Bool // the writer can publish: /readyz
	// SchemaReady, when set, is false until the database is reachable and migrated: until then every admin
	// call answers 503 database_unavailable instead of failing on a missing table.
	SchemaReady *atomic.Bool
	// Metrics, when set, are fed by every request (NewMetrics); unset, the API keeps them to itself.
	Metrics *Metrics
	// RequestTimeout bounds each admin call (DefaultRequestTimeout when 0); UploadTimeout bounds imports
	// and cohort member uploads instead (none when 0). See timeout.go.
	RequestTimeout, UploadTimeout time.Duration
}

// route is one admin API route and the scope it needs.
type route struct {
	method, path string
	scope        admin.Scope
	handle       func(s *Server, c echo.Context) error
	upload       bool // takes a large body (MaxUploadBytes)
}

// routes is the whole admin API under /api/v1; openapi.go describes each of them.
var routes = []route{
	{http.MethodPost, "/tokens", admin.ScopeAdmin, (*Server).createToken, false},
	{http.MethodGet, "/tokens", admin.ScopeAdmin, (*Server).listTokens, false},
	{http.MethodDelete, "/tokens/:token_id", admin.ScopeAdmin, (*Server).revokeToken, false},

	{http.MethodPost, "/projects", admin.ScopeAdmin, (*Server).createProject, false},
	{http.MethodGet, "/projects", admin.ScopeRead, (*Server).listProjects, false},
	{http.MethodGet, "/projects/:project_id", admin.ScopeRead, (*Server).getProject, false},
	{http.MethodPost, "/projects/:project_id/environments", admin.ScopeAdmin, (*Server).createEnvironment, false},
	{http.MethodGet, "/projects/:project_id/environments", admin.ScopeRead, (*Server).listEnvironments, false},
	{http.MethodGet, "/environments/:env_id", admin.ScopeRead, (*Server).getEnvironment, false},
	{http.MethodPatch, "/environments/:env_id", admin.ScopeAdmin, (*Server).patchEnvironment, false},
	{http.MethodPost, "/environments/:env_id/keys/rotate", admin.ScopeAdmin, (*Server).rotateKey, false},
	{http.MethodDelete, "/environments/:env_id/keys/:key_id", admin.ScopeAdmin, (*Server).revokeKey, false},
	{http.MethodPut, "/environments/:env_id/group-types", admin.ScopeWrite, (*Server).setGroupTypes, false},
	{http.MethodPost, "/environments/:env_id/evaluate", admin.ScopeRead, (*Server).evaluate, false},
	{http.MethodGet, "/environments/:env_id/events", admin.ScopeRead, (*Server).environmentEvents, false},

	{http.MethodGet, "/environments/:env_id/flags", admin.ScopeRead, (*Server).listFlags, false},
	{http.MethodPost, "/environments/:env_id/flags", admin.ScopeWrite, (*Server).createFlag, false},
	{http.MethodGet, "/environments/:env_id/flags/:key", admin.ScopeRead, (*Server).getFlag, false},
	{http.MethodPut, "/environments/:env_id/flags/:key", admin.ScopeWrite, (*Server).replaceFlag, false},
	{http.MethodPatch, "/environments/:env_id/flags/:key", admin.ScopeWrite, (*Server).patchFlag, false},
	{http.MethodDelete, "/environments/:env_id/flags/:key", admin.ScopeWrite, (*Server).deleteFlag, false},
	{http.MethodPost, "/environments/:env_id/flags/:key/restore", admin.ScopeWrite, (*Server).restoreFlag, false},
	{http.MethodPost, "/environments/:env_id/flags/:key/toggle", admin.ScopeWrite, (*Server).toggleFlag, false},

	{http.MethodGet, "/environments/:env_id/cohorts", admin.ScopeRead, (*Server).listCohorts, false},
	{http.MethodPost, "/environments/:env_id/cohorts", admin.ScopeWrite, (*Server).createCohort, false},
	{http.MethodGet, "/environments/:env_id/cohorts/:cohort_id", admin.ScopeRead, (*Server).getCohort, false},
	{http.MethodPatch, "/environments/:env_id/cohorts/:cohort_id", admin.ScopeWrite, (*Server).patchCohort, false},
	{http.MethodDelete, "/environments/:env_id/cohorts/:cohort_id", admin.ScopeWrite, (*Server).deleteCohort, false},
	{http.MethodGet, "/environments/:env_id/cohorts/:cohort_id/members", admin.ScopeRead, (*Server).listMembers, false},
	{http.MethodPut, "/environments/:env_id/cohorts/:cohort_id/members", admin.ScopeWrite, (*Server).replaceMembers, true},
	{http.MethodPost, "/environments/:env_id/cohorts/:cohort_id/members", admin.ScopeWrite, (*Server).appendMembers, true},

	{http.MethodGet, "/environments/:env_id/export", admin.ScopeRead, (*Server).export, false},
	{http.MethodPost, "/environments/:env_id/import", admin.ScopeWrite, (*Server).importDefinitions, true},
	{http.MethodPost, "/environments/:env_id/copy-flags", admin.ScopeWrite, (*Server).copyFlags, false},

	{http.MethodGet, "/audit", admin.ScopeRead, (*Server).listAudit, false},
}

// Handler returns the echo instance serving every route.
func (s *Server) Handler() *echo.Echo {
	m := s.Metrics
	if m == nil {
		m = NewMetrics(prometheus.NewRegistry())
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.observe(m), s.trace, s.recoverPanics(m))
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/version", func(c echo.Context) error { return c.JSON(http.StatusOK, buildinfo.Get()) })
	e.GET("/api/v1/openapi.json", serveOpenAPI)

	// The middleware goes on each route, not on the group: Group.Use installs catch-all routes for every
	// method, which would turn a wrong method on a known path into 404 instead of 405 with Allow.
	api := e.Group("/api/v1")
	for _, r := range routes {
		limit := limitBody(MaxBodyBytes)
		if r.upload {
			limit = limitBody(MaxUploadBytes)
		}
		mw := []echo.MiddlewareFunc{s.requireSchema, s.authenticate, limit, requireScope(r.scope)}
		if d := s.timeoutOf(r); d > 0 {
			mw = append([]echo.MiddlewareFunc{requestTimeout(d)}, mw...)
		}
		if changes(r.method) {
			mw = append([]echo.MiddlewareFunc{countChange(m, resourceOf(r.path))}, mw...)
		}
		api.Add(r.method, r.path, func(c echo.Context) error { return r.handle(s, c) }, mw...)
	}
	return e
}

// requireSchema answers 503 while the database has not been reached and migrated since the writer started.
func (s *Server) requireSchema(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.SchemaReady != nil && !s.SchemaReady.Load() {
			return apperr.New(apperr.Unavailable, "database_unavailable", "the database cannot be reached yet; retry shortly")
		}
		return next(c)
	}
}

// retryAfterSeconds is what a 503 asks clients to wait: the writer retries PostgreSQL every second.
const retryAfterSeconds = "1"

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

// statusOf is the HTTP status of an error kind. A kind without one of its own (one added to apperr later)
// is a server error, never status 0.
func statusOf(k apperr.Kind) int {
	switch k {
	case apperr.BadRequest:
		return http.StatusBadRequest
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.PreconditionFailed:
		return http.StatusPreconditionFailed
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// handleError is the one place errors become HTTP responses.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := s.errorResponse(err)
	id := zap.String("request_id", RequestID(c.Request().Context()))
	switch {
	case status == http.StatusServiceUnavailable:
		c.Response().Header().Set(echo.HeaderRetryAfter, retryAfterSeconds)
		s.Log.Warn("request refused: unavailable", id, zap.String("method", c.Request().Method), zap.String("path", c.Path()), zap.Error(err))
	case status >= 500 && !errors.As(err, new(recoveredPanic)): // a panic was logged with its stack already
		s.Log.Error("request failed", id, zap.String("method", c.Request().Method), zap.String("path", c.Path()), zap.Error(err))
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
	return statusOf(ae.Kind), errorBody{Code: ae.Code, Message: ae.Message, Details: ae.Details}
}
