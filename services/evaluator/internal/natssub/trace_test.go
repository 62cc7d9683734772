package natssub

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// recordSpans installs an in-process span recorder as the global tracer provider, and the W3C propagator,
// as tracing.Setup does with an exporter; both are reset when the test ends.
func recordSpans(tb testing.TB) *tracetest.SpanRecorder {
	tb.Helper()
	sr := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tb.Cleanup(tracing.Reset)
	return sr
}

// TestApplySpan: every snapshot message is applied in an apply span, the child of the publication span
// its traceparent header names (a new trace without one), saying what became of it.
func TestApplySpan(t *testing.T) {
	sr := recordSpans(t)
	js := connect(t, port(startNATS(t, -1)))
	createStream(t, js)
	encode := func(s *wire.Snapshot) []byte {
		data, err := wire.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	publishTraced(t, js, 5, 2, encode(snapshot(5, 2)), publication(0)) // before the follower starts: replayed
	f := follow(t, js)
	f.waitCaughtUp(t)
	for i, tc := range []struct {
		name         string
		env, version int64
		data         []byte
		traced       bool
		want         map[string]string
		failed       bool // the span's status is an error
	}{
		{"replayed at start", 5, 2, nil, true, map[string]string{"halyard.outcome": "applied", "halyard.flags": "1",
			"halyard.replayed": "true"}, false},
		{"applied", 1, 1, encode(snapshot(1, 1)), true, map[string]string{"halyard.outcome": "applied",
			"halyard.flags": "1", "halyard.replayed": "false"}, false},
		{"not newer", 1, 1, encode(snapshot(1, 1)), true, map[string]string{"halyard.outcome": "rejected",
			"halyard.reject_reason": RejectOlder}, false},
		{"unreadable", 2, 4, garbage, true, map[string]string{"halyard.outcome": "rejected",
			"halyard.reject_reason": RejectDecode}, true},
		{"no trace context: a trace of its own", 3, 1, encode(snapshot(3, 1)), false, map[string]string{
			"halyard.outcome": "applied", "halyard.flags": "1", "halyard.replayed": "false"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := publication(i)
			if tc.data != nil {
				if !tc.traced {
					parent = trace.SpanContext{}
				}
				publishTraced(t, js, tc.env, tc.version, tc.data, parent)
			}
			span := waitApplySpan(t, sr, tc.env, tc.version, parent)
			if tc.traced && (span.Parent().SpanID() != parent.SpanID() || span.SpanContext().TraceID() != parent.TraceID()) {
				t.Errorf("apply span's parent = %v, want the publication's %v", span.Parent(), parent)
			}
			if !tc.traced && span.Parent().IsValid() {
				t.Errorf("apply span's parent = %v, want a new trace", span.Parent())
			}
			want := map[string]string{"messaging.system": "nats", "messaging.operation.type": "process",
				"messaging.operation.name": "apply", "messaging.destination.name": testPrefix + "." + fmt.Sprint(tc.env),
				"halyard.environment.id": fmt.Sprint(tc.env), "halyard.environment.version": fmt.Sprint(tc.version)}
			for k, v := range tc.want {
				want[k] = v
			}
			if diff := cmp.Diff(want, spanAttrs(span)); diff != "" {
				t.Errorf("apply span attributes mismatch (-want +got):\n%s", diff)
			}
			if failed := span.Status().Code == codes.Error; failed != tc.failed {
				t.Errorf("apply span status %v, want an error: %v", span.Status(), tc.failed)
			}
		})
	}
}

// publication is the context of a writer's publish span, the i-th of the test.
func publication(i int) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0xab, byte(i + 1)},
		SpanID: trace.SpanID{0xcd, byte(i + 1)}, TraceFlags: trace.FlagsSampled, Remote: true})
}

// publishTraced puts data on the environment's subject with the writer's headers and, when parent is
// valid, its traceparent.
func publishTraced(tb testing.TB, js jetstream.JetStream, envID, version int64, data []byte, parent trace.SpanContext) {
	tb.Helper()
	msg := nats.NewMsg(testPrefix + "." + strconv.FormatInt(envID, 10))
	msg.Data = data
	msg.Header.Set("Halyard-Version", strconv.FormatInt(version, 10))
	msg.Header.Set("Halyard-Environment", strconv.FormatInt(envID, 10))
	if parent.IsValid() {
		msg.Header.Set("traceparent", fmt.Sprintf("00-%s-%s-01", parent.TraceID(), parent.SpanID()))
	}
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}

// waitApplySpan waits for the apply span of the environment's version; of several, the one under parent.
func waitApplySpan(tb testing.TB, sr *tracetest.SpanRecorder, envID, version int64, parent trace.SpanContext) sdktrace.ReadOnlySpan {
	tb.Helper()
	var found sdktrace.ReadOnlySpan
	waitFor(tb, fmt.Sprintf("the apply span of environment %d v%d", envID, version), func() error {
		for _, s := range sr.Ended() {
			a := spanAttrs(s)
			if s.Name() == "apply snapshot" && a["halyard.environment.id"] == fmt.Sprint(envID) &&
				a["halyard.environment.version"] == fmt.Sprint(version) && (!parent.IsValid() || s.Parent().SpanID() == parent.SpanID()) {
				found = s
				return nil
			}
		}
		return fmt.Errorf("%d spans, none of it", len(sr.Ended()))
	})
	return found
}

func spanAttrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}
