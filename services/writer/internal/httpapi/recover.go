package httpapi

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

// recoveredPanic is the error a recovered panic becomes; it was logged, with its stack, where it was
// recovered.
type recoveredPanic struct{ err *apperr.Error }

func (p recoveredPanic) Error() string { return p.err.Error() }
func (p recoveredPanic) Unwrap() error { return p.err }

// recoverPanics turns a panic in a handler into a 500 with the usual JSON error, logs it with its stack and
// counts it. http.ErrAbortHandler is let through: net/http uses it to abort a response on purpose.
func (s *Server) recoverPanics(m *Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler {
					panic(r)
				}
				m.panics.Inc()
				s.Log.Error("panic recovered", zap.String("request_id", RequestID(c.Request().Context())),
					zap.String("method", c.Request().Method), zap.String("route", c.Path()),
					zap.String("panic", fmt.Sprint(r)), zap.ByteString("stack", debug.Stack()))
				err = recoveredPanic{apperr.Wrap(fmt.Errorf("%v", r), "panic")}
			}()
			return next(c)
		}
	}
}
