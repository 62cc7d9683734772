package tracing

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/buildinfo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

// Setup installs, when cfg enables tracing, a tracer provider exporting spans over OTLP/HTTP in batches as
// the global one, and the W3C trace-context propagator as the global propagator; export errors go to log.
// The spans' resource names the service (cfg.ServiceName, else serviceName), the build's version and this
// process (service.instance.id, random). shutdown flushes the spans still buffered, within its context's
// deadline, and puts the no-op globals back. When tracing is off Setup installs nothing and shutdown does
// nothing.
func Setup(ctx context.Context, cfg Config, serviceName string, log *zap.Logger) (shutdown func(context.Context) error, err error) {
	if !cfg.Enabled() {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx, cfg.exporterOptions()...) // headers, TLS, timeout…: OTEL_EXPORTER_OTLP_*
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := newResource(ctx, cfg, serviceName)
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res),
		sdktrace.WithSampler(cfg.sampler()))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing: cannot export spans", zap.Error(err)) }))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return func(ctx context.Context) error {
		Reset()
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("tracing: flush spans: %w", err)
		}
		return nil
	}, nil
}

// Reset puts the no-op tracer provider and propagator back as the globals.
func Reset() {
	otel.SetTracerProvider(noop.NewTracerProvider())
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
}

func newResource(ctx context.Context, cfg Config, serviceName string) (*resource.Resource, error) {
	if cfg.ServiceName != "" {
		serviceName = cfg.ServiceName
	}
	// Later detectors win: OTEL_RESOURCE_ATTRIBUTES may override any of Halyard's attributes.
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(semconv.ServiceName(serviceName), semconv.ServiceVersion(buildinfo.Get().Version),
			semconv.ServiceInstanceID(rand.Text())),
		resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return res, nil
}

// exporterOptions sets the URL spans are posted to, as the OTLP specification derives it: the traces
// endpoint as it is, else the base endpoint with /v1/traces appended; with neither, the exporter's default
// (http://localhost:4318/v1/traces). The exporter reads every other OTEL_EXPORTER_OTLP_* variable itself.
func (c Config) exporterOptions() []otlptracehttp.Option {
	switch {
	case c.TracesEndpoint != "":
		return []otlptracehttp.Option{otlptracehttp.WithEndpointURL(c.TracesEndpoint)}
	case c.Endpoint != "":
		return []otlptracehttp.Option{otlptracehttp.WithEndpointURL(strings.TrimSuffix(c.Endpoint, "/") + "/v1/traces")}
	default:
		return nil
	}
}

// sampler is the sampler cfg names (Validate checked it).
func (c Config) sampler() sdktrace.Sampler {
	ratio := 1.0
	if r, err := strconv.ParseFloat(c.SamplerArg, 64); err == nil {
		ratio = r
	}
	switch c.Sampler {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}

// Flush runs shutdown (what Setup returned), exporting the spans still buffered, for at most timeout, and
// logs when not all could be.
func Flush(shutdown func(context.Context) error, timeout time.Duration, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		log.Warn("stopping: spans not all exported", zap.Error(err))
	}
}
