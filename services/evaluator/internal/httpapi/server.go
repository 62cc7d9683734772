// Package httpapi is the evaluator's SDK-facing HTTP API (echo): PostHog-compatible flag evaluation,
// health and readiness. Handlers read only the in-memory store: no I/O on the request path.
package httpapi

import (
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.uber.org/zap"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// Server is the evaluator's HTTP API.
type Server struct {
	Store *store.Store
	Ready *atomic.Bool // set once the initial catch-up from JetStream is done
	Log   *zap.Logger
}

// Handler returns the echo instance serving every route.
func (s *Server) Handler() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.POST("/flags", s.flags)
	e.POST("/flags/", s.flags)
	return e
}

func (s *Server) readyz(c echo.Context) error {
	if !s.Ready.Load() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "catching_up"})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "environments": len(s.Store.All())})
}

type errorBody struct {
	Type   string `json:"type"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

var statusOf = map[apperr.Kind]int{
	apperr.Internal:     http.StatusInternalServerError,
	apperr.BadRequest:   http.StatusBadRequest,
	apperr.Invalid:      http.StatusBadRequest,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.TooLarge:     http.StatusRequestEntityTooLarge,
	apperr.Unavailable:  http.StatusServiceUnavailable,
}

// handleError is the one place errors become HTTP responses. The body follows PostHog's error shape
// ({type, code, detail}) so its SDKs report it sensibly.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		_ = c.JSON(he.Code, errorBody{Type: "validation_error", Code: http.StatusText(he.Code), Detail: http.StatusText(he.Code)})
		return
	}
	ae := apperr.As(err)
	status := statusOf[ae.Kind]
	if status >= 500 {
		s.Log.Error("request failed", zap.String("path", c.Path()), zap.Error(err))
	}
	kind := "validation_error"
	if status == http.StatusUnauthorized {
		kind = "authentication_error"
	}
	_ = c.JSON(status, errorBody{Type: kind, Code: ae.Code, Detail: ae.Message})
}
