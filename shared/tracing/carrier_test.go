package tracing

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// remote is a sampled span context with a trace state, as an upstream service would send it.
func remote(tb testing.TB) trace.SpanContext {
	tb.Helper()
	ts, err := trace.ParseTraceState("vendor=abc")
	if err != nil {
		tb.Fatal(err)
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6},
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
}

// withPropagator installs the W3C propagator for the test, as Setup does.
func withPropagator(tb testing.TB) {
	tb.Helper()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tb.Cleanup(Reset)
}

func TestInjectExtract(t *testing.T) {
	withPropagator(t)
	sc := remote(t)
	got := Inject(trace.ContextWithRemoteSpanContext(context.Background(), sc))
	want := map[string]string{"traceparent": "00-01020300000000000000000000000000-0405060000000000-01", "tracestate": "vendor=abc"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Inject mismatch (-want +got):\n%s", diff)
	}
	if back := trace.SpanContextFromContext(Extract(context.Background(), got)); !back.Equal(sc) {
		t.Errorf("Extract(Inject(%v)) = %v", sc, back)
	}
	if got := Inject(context.Background()); got != nil {
		t.Errorf("Inject without a span = %v, want nil", got)
	}
}

func TestInjectOff(t *testing.T) {
	Reset() // tracing off: the no-op propagator
	if got := Inject(trace.ContextWithRemoteSpanContext(context.Background(), remote(t))); got != nil {
		t.Errorf("Inject with tracing off = %v, want nil", got)
	}
}

func TestNATSHeaders(t *testing.T) {
	withPropagator(t)
	sc := remote(t)
	h := nats.Header{"Halyard-Version": {"7"}}
	InjectNATS(trace.ContextWithRemoteSpanContext(context.Background(), sc), h)
	want := nats.Header{"Halyard-Version": {"7"}, "traceparent": {"00-01020300000000000000000000000000-0405060000000000-01"},
		"tracestate": {"vendor=abc"}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Fatalf("InjectNATS mismatch (-want +got):\n%s", diff)
	}
	if back := trace.SpanContextFromContext(ExtractNATS(context.Background(), h)); !back.Equal(sc) {
		t.Errorf("ExtractNATS = %v, want %v", back, sc)
	}
	canonical := nats.Header{"Traceparent": h["traceparent"]}
	if back := trace.SpanContextFromContext(ExtractNATS(context.Background(), canonical)); back.SpanID() != sc.SpanID() {
		t.Errorf("ExtractNATS of a canonical Traceparent = %v, want span %v", back, sc.SpanID())
	}
}
