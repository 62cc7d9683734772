package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
)

// BenchmarkTraceMiddleware is what the admin request span costs one request: none (the middleware left
// out), off (the no-op globals, as when tracing is not configured) and on (every span recorded and handed to
// an exporter that drops it).
func BenchmarkTraceMiddleware(b *testing.B) {
	s := &Server{Log: zap.NewNop()}
	handle := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	for _, tc := range []struct {
		name    string
		handler echo.HandlerFunc
		install func()
	}{
		{"none", handle, tracing.Reset},
		{"off", s.trace(handle), tracing.Reset},
		{"on", s.trace(handle), func() {
			otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter())))
			otel.SetTextMapPropagator(propagation.TraceContext{})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tc.install()
			b.Cleanup(tracing.Reset)
			e := echo.New()
			req := httptest.NewRequest(http.MethodGet, "/api/v1/projects", nil)
			req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
			rec := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				c := e.NewContext(req, rec)
				c.SetPath("/api/v1/projects")
				if err := tc.handler(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
