// Package httpapi is the evaluator's SDK-facing HTTP API (echo): PostHog-compatible remote evaluation
// (/flags, /decide), the local-evaluation definitions download, OpenFeature's OFREP, the OpenAPI description,
// health and readiness. Handlers read only the in-memory store: no I/O and no locks on the request path.
//
// The request path is built for throughput (the make bench scenarios, docs/benchmarks.md). Bodies are parsed in one pass by parseJSON
// (jsonparse.go), which handles the bodies SDKs send and leaves anything unusual, every error included, to
// encoding/json. Answers are appended into pooled buffers (render.go) from fragments encoded once per
// environment version (envjson.go), and written in one Write. Both fast paths produce exactly what
// encoding/json produced before: reference_test.go keeps the original response structs, and render_test.go and
// jsonparse_test.go (with fuzz targets) compare the two over generated inputs. scenario_bench_test.go measures
// the HTTP scenarios of make bench in process.
package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.uber.org/zap"
)

// MaxBodyBytes bounds every request body, and every decompressed body.
const MaxBodyBytes = 1 << 20

// Limiter decides whether a request for key (an SDK or server key) may proceed now; when not, it says after
// how long to retry. The evaluator runs without one until rate limits are configured.
type Limiter interface {
	Allow(key string) (ok bool, retryAfter time.Duration)
}

// Server is the evaluator's HTTP API.
type Server struct {
	Store   *store.Store
	Ready   *atomic.Bool // set once the initial catch-up from JetStream is done
	Log     *zap.Logger
	Limiter Limiter // nil = no rate limit
	// IPLimiter limits requests per client address (iplimit.go), found by ClientIP; nil = no limit.
	IPLimiter Limiter
	ClientIP  echo.IPExtractor // nil = the connection's peer
	Metrics   *Metrics         // nil = not measured
	AccessLog *zap.Logger      // one line per request at info; nil = none
	// MinVersionWait bounds how long a request naming an environment version this evaluator has not applied
	// yet waits for it (minversion.go); 0 answers such a request at once.
	MinVersionWait time.Duration

	// Streams serves the change streams and advertises them in OFREP bulk answers; nil = none.
	Streams *Streams
}

// Handler returns the echo instance serving every route.
func (s *Server) Handler() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = s.ClientIP
	if e.IPExtractor == nil {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	var routes *routeTable // filled once every route is added, before the first request
	e.Use(s.observe(&routes))
	// Browser SDKs call /flags and OFREP from any origin, as they do PostHog's own service. Request headers
	// are allowed as the preflight asks for them (Halyard-Min-Version among them).
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOriginFunc:  func(string) (bool, error) { return true, nil },
		AllowCredentials: true,
		ExposeHeaders:    []string{headerETag, echo.HeaderRetryAfter, headerEnvironmentVersion, headerRequestID},
		MaxAge:           86400,
	}))
	e.Use(s.limitByIP)
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/version", func(c echo.Context) error { return c.JSON(http.StatusOK, buildinfo.Get()) })
	for _, p := range []string{"/flags", "/flags/"} {
		e.POST(p, s.flags)
		e.GET(p, otherMethods(flagsShape))
		e.HEAD(p, otherMethods(flagsShape))
	}
	for _, p := range []string{"/decide", "/decide/"} {
		e.POST(p, s.decide)
		e.GET(p, otherMethods(decideShape))
		e.HEAD(p, otherMethods(decideShape))
	}
	for _, p := range []string{"/api/feature_flag/local_evaluation", "/api/feature_flag/local_evaluation/",
		"/flags/definitions", "/flags/definitions/"} {
		e.GET(p, s.localEvaluation)
	}
	// What else posthog-js calls on its api_host (capture.go, remoteconfig.go).
	for _, p := range capturePaths {
		for _, q := range []string{p, p + "/"} {
			e.POST(q, capture)
			e.GET(q, capture)
		}
	}
	e.GET("/array/:token/config", s.remoteConfigJSON)
	e.GET("/array/:token/config.js", s.remoteConfigJS)
	for p, body := range emptyLists {
		e.GET(p, emptyList(body))
		e.GET(p+"/", emptyList(body))
	}
	e.POST("/ofrep/v1/evaluate/flags/:key", s.ofrepOne)
	e.POST("/ofrep/v1/evaluate/flags", s.ofrepBulk)
	if s.Streams != nil {
		e.GET(ofrepStreamPath, s.ofrepStream)
		e.GET("/stream/v1", s.posthogStream)
	}
	e.GET("/openapi.json", serveOpenAPI)
	routes = s.Metrics.newRouteTable(e.Routes())
	return e
}

func (s *Server) readyz(c echo.Context) error {
	if !s.Ready.Load() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "catching_up"})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "environments": len(s.Store.All())})
}

// rateLimited is a request refused by the Limiter.
type rateLimited struct{ retryAfter time.Duration }

func (e *rateLimited) Error() string { return "rate limited" }

// retryAfterSeconds is the Retry-After value: whole seconds, rounded up, at least 1.
func (e *rateLimited) retryAfterSeconds() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.retryAfter.Seconds()))))
}

func (s *Server) limit(key string) error {
	if s.Limiter == nil {
		return nil
	}
	if ok, after := s.Limiter.Allow(key); !ok {
		return &rateLimited{retryAfter: after}
	}
	return nil
}

// errorBody is PostHog's error shape ({type, code, detail}), so its SDKs report our errors sensibly.
type errorBody struct {
	Type   string `json:"type"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// statusOf is the HTTP status of an error kind; a kind without one of its own is a server error.
func statusOf(k apperr.Kind) int {
	switch k {
	case apperr.BadRequest, apperr.Invalid:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// handleError is the one place errors of the PostHog-shaped routes become HTTP responses. (OFREP routes
// answer their own error shape; see ofrep.go.)
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code := "http_" + strconv.Itoa(he.Code)
		switch he.Code {
		case http.StatusNotFound:
			code = "not_found"
		case http.StatusMethodNotAllowed:
			code = "method_not_allowed"
		case http.StatusRequestEntityTooLarge:
			code = "body_too_large"
		}
		_ = c.JSON(he.Code, errorBody{Type: "invalid_request", Code: code, Detail: http.StatusText(he.Code)})
		return
	}
	var rl *rateLimited
	if errors.As(err, &rl) {
		c.Response().Header().Set(echo.HeaderRetryAfter, rl.retryAfterSeconds())
		_ = c.JSON(http.StatusTooManyRequests, errorBody{Type: "validation_error", Code: "rate_limited",
			Detail: "Rate limit exceeded; retry after " + rl.retryAfterSeconds() + " seconds"})
		return
	}
	var vna *versionNotAvailable
	if errors.As(err, &vna) {
		c.Response().Header().Set(echo.HeaderRetryAfter, versionRetryAfter)
		_ = c.JSON(http.StatusServiceUnavailable, errorBody{Type: "server_error", Code: "version_not_available", Detail: vna.Error()})
		return
	}
	if errors.Is(err, errNotReady) {
		c.Response().Header().Set(echo.HeaderRetryAfter, notReadyRetryAfter)
		_ = c.JSON(http.StatusServiceUnavailable, errorBody{Type: "server_error", Code: "not_ready", Detail: err.Error()})
		return
	}
	ae := apperr.As(err)
	status := statusOf(ae.Kind)
	if status >= 500 && !errors.As(err, new(*panicked)) { // a panic is logged with its stack where recovered
		s.Log.Error("request failed", zap.String("path", c.Path()), zap.Error(err))
	}
	kind := "validation_error"
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		kind = "authentication_error"
	}
	_ = c.JSON(status, errorBody{Type: kind, Code: ae.Code, Detail: ae.Message})
}
