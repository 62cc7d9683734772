package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the spans of the admin API.
const tracerName = "github.com/halyard-flags/halyard/services/writer/internal/httpapi"

// Span attributes of Halyard's own, beside OpenTelemetry's semantic conventions.
const (
	attrRequestID = "halyard.request_id"
	attrActor     = "halyard.actor"
)

// trace records a server span for every admin API request (paths under /api/), continuing the trace of an
// incoming traceparent header: named after the method and route pattern, with the request id of the access
// log, the caller's name once authenticated, and the status. The store's changes start their commit spans
// under it (postgres). The UI's files, probes and /version are not traced. With tracing off (the no-op
// globals) it costs a few allocations per admin request.
func (s *Server) trace(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if !strings.HasPrefix(req.URL.Path, "/api/") {
			return next(c)
		}
		ctx := otel.GetTextMapPropagator().Extract(req.Context(), propagation.HeaderCarrier(req.Header))
		ctx, span := otel.Tracer(tracerName).Start(ctx, req.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(req.Method), semconv.URLPath(req.URL.Path),
				attribute.String(attrRequestID, RequestID(ctx))))
		defer span.End()
		c.SetRequest(req.WithContext(ctx))

		err := next(c)
		status := c.Response().Status
		if err != nil {
			status, _ = s.errorResponse(err)
		}
		route := c.Path()
		if route == "" || errors.Is(err, echo.ErrNotFound) {
			route = "unmatched" // as in the access log and the metrics
		}
		span.SetName(req.Method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route), semconv.HTTPResponseStatusCode(status),
			attribute.String(attrActor, actor(c).Name))
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		return err
	}
}
