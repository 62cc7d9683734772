package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// observe is the outermost middleware: it gives every request an id (echoed in X-Request-Id), recovers a
// panic into a 500 answer, and records each answer in the metrics and the access log. It answers the
// errors of the rest of the chain itself, so that it sees their status.
func (s *Server) observe(routes **routeTable) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			t := *routes
			if t != nil {
				t.m.inFlight.Inc()
			}
			req := c.Request()
			id := requestIDOf(req.Header)
			c.Response().Header()[headerRequestID] = []string{id}
			defer func() {
				v := recover()
				if v != nil && v != http.ErrAbortHandler {
					s.recovered(c, id, v)
				}
				s.record(c, t, id, start)
				if v == http.ErrAbortHandler { // a handler's way to abort the response: net/http's to handle
					panic(v)
				}
			}()
			if err := next(c); err != nil {
				c.Error(err)
			}
			return nil
		}
	}
}

// record counts the answer and writes its access log line.
func (s *Server) record(c echo.Context, t *routeTable, id string, start time.Time) {
	took := time.Since(start)
	req, res := c.Request(), c.Response()
	if t != nil {
		t.m.inFlight.Dec()
		t.observe(c.Path(), req.Method, res.Status, took)
	}
	if s.AccessLog == nil {
		return
	}
	if ce := s.AccessLog.Check(zapcore.InfoLevel, "request"); ce != nil {
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		// The fields travel in a pooled array: passed to the core, a fresh slice would escape to the heap.
		// Never the URL: its query may hold a token (PostHog's SDKs add ?token=); the route pattern suffices.
		fs := accessFields.Get().(*[7]zap.Field)
		fs[0], fs[1], fs[2] = zap.String("request_id", id), zap.String("method", req.Method), zap.String("route", route)
		fs[3], fs[4] = zap.Int("status", res.Status), zap.Duration("duration", took)
		fs[5], fs[6] = zap.Int64("bytes", res.Size), zap.String("remote", req.RemoteAddr)
		ce.Write(fs[:]...)
		accessFields.Put(fs) // not cleared: clearing costs write barriers, and the strings it holds are small
	}
}

var accessFields = sync.Pool{New: func() any { return new([7]zap.Field) }}

// panicked is a panic recovered from a handler, already logged with its stack.
type panicked struct{ value any }

func (p *panicked) Error() string { return fmt.Sprint("panic: ", p.value) }

// recovered logs and counts a panic and answers 500 in the route's usual error shape, if nothing was sent
// yet.
func (s *Server) recovered(c echo.Context, id string, v any) {
	if s.Metrics != nil {
		s.Metrics.panics.Inc()
	}
	s.Log.Error("panic recovered", zap.String("request_id", id), zap.String("route", c.Path()),
		zap.String("panic", fmt.Sprint(v)), zap.Stack("stack"))
	if c.Response().Committed {
		return
	}
	if strings.HasPrefix(c.Path(), "/ofrep/") {
		_ = s.ofrepFail(c, c.Param("key"), &ofrepErr{http.StatusInternalServerError, ofrepGeneral, "internal error"})
		return
	}
	s.handleError(&panicked{value: v}, c)
}
