package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

// HeaderRequestID carries a request's id: taken from the client when it sent a sane one, else made up, and
// always echoed in the response.
const HeaderRequestID = "X-Request-Id"

type requestIDKey struct{}

// RequestID is the id of the request ctx belongs to ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// observe gives every request an id, counts it in the metrics, and logs it in one line at info level: its
// id, method, route pattern, status, duration, bytes written, remote address, and the caller's name once
// authenticated. The line never holds a header, a query string or a body, so no token reaches the log.
func (s *Server) observe(m *Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req := c.Request()
			id := req.Header.Get(HeaderRequestID)
			if !saneRequestID(id) {
				id = rand.Text()
			}
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), requestIDKey{}, id)))
			c.Response().Header().Set(HeaderRequestID, id)
			m.inFlight.Inc()
			defer m.inFlight.Dec()

			err := next(c)
			status := c.Response().Status
			if err != nil {
				status, _ = s.errorResponse(err)
			}
			route := c.Path()
			if route == "" || errors.Is(err, echo.ErrNotFound) {
				route = "unmatched" // the route label stays bounded whatever paths clients send
			}
			took := time.Since(start)
			m.requests.WithLabelValues(route, req.Method, strconv.Itoa(status)).Inc()
			m.duration.WithLabelValues(route, req.Method).Observe(took.Seconds())
			s.Log.Info("request", zap.String("request_id", id), zap.String("method", req.Method),
				zap.String("route", route), zap.Int("status", status), zap.Duration("duration", took),
				zap.Int64("bytes", c.Response().Size), zap.String("remote", req.RemoteAddr),
				zap.String("actor", actor(c).Name),
				zap.String("environment_version", c.Response().Header().Get(HeaderEnvironmentVersion)))
			return err
		}
	}
}

// saneRequestID accepts a client's request id of at most 128 characters of [A-Za-z0-9-_.:].
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// countChange counts a change the route committed: a 2xx answer from a route that changes resource.
func countChange(m *Metrics, resource string) echo.MiddlewareFunc {
	counter := m.changes.WithLabelValues(resource)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if err == nil && c.Response().Status < http.StatusMultipleChoices {
				counter.Inc()
			}
			return err
		}
	}
}
