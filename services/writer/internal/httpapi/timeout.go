package httpapi

import (
	"context"
	"errors"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// DefaultRequestTimeout is Server.RequestTimeout's default.
const DefaultRequestTimeout = 10 * time.Second

// eventsPath is the events streams' route, which no request timeout bounds.
const eventsPath = "/environments/:env_id/events"

// requestTimeout bounds a call: its context ends after d, so every query it runs gives up by then and a
// PostgreSQL that stopped answering costs the caller d at most before a 503 (the database adapter says
// database_unavailable). An error the handler returns for its ended context without saying so is a 503
// request_timeout, never a 500.
func requestTimeout(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			err := next(c)
			if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && apperr.KindOf(err) == apperr.Internal {
				e := apperr.New(apperr.Unavailable, "request_timeout", "the request did not finish within %s; retry shortly", d)
				e.Err = err
				return e
			}
			return err
		}
	}
}

// timeoutOf is how long a route's calls may take: uploads (imports, cohort members) as long as the
// server's write timeout lets them answer, the events streams without a bound (they end with their
// client), and every other call RequestTimeout.
func (s *Server) timeoutOf(r route) time.Duration {
	switch {
	case r.path == eventsPath:
		return 0
	case r.upload:
		return s.UploadTimeout
	case s.RequestTimeout > 0:
		return s.RequestTimeout
	}
	return DefaultRequestTimeout
}
