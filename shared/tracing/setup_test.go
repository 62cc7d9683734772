package tracing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// TestSetupExports: on, Setup exports spans over OTLP/HTTP to the endpoint (its /v1/traces), and shutdown
// flushes them before it returns and puts the no-op globals back.
func TestSetupExports(t *testing.T) {
	posts := make(chan string, 10)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if len(body) > 0 {
			posts <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type")
		}
	}))
	defer collector.Close()
	cfg := FromEnv(env{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL + "/base/"}.get)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	shutdown, err := Setup(context.Background(), cfg, "halyard-test", zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	_, span := otel.Tracer("test").Start(context.Background(), "work")
	if !span.SpanContext().IsSampled() {
		t.Errorf("a root span is not sampled with %s", cfg.Sampler)
	}
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-posts:
		if want := "POST /base/v1/traces application/x-protobuf"; got != want {
			t.Errorf("export = %q, want %q", got, want)
		}
	default:
		t.Fatal("shutdown returned before the span was exported")
	}
	if _, after := otel.Tracer("test").Start(context.Background(), "later"); after.SpanContext().IsValid() {
		t.Error("after shutdown, spans are still recorded")
	}
}

// TestSetupOff: off, Setup installs nothing: spans are the no-op tracer's, and no context is injected.
func TestSetupOff(t *testing.T) {
	shutdown, err := Setup(context.Background(), Config{Sampler: DefaultSampler}, "halyard-test", zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := otel.Tracer("test").Start(context.Background(), "work")
	if span.SpanContext().IsValid() || span.IsRecording() {
		t.Errorf("tracing off, a span was recorded: %v", span.SpanContext())
	}
	if got := Inject(trace.ContextWithSpan(ctx, span)); got != nil {
		t.Errorf("tracing off, Inject = %v", got)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type env map[string]string

func (e env) get(k string) string { return e[k] }
