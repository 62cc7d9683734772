package publisher

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
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
	install(sr)
	tb.Cleanup(tracing.Reset)
	return sr
}

func install(sr *tracetest.SpanRecorder) {
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
}

// TestPublishContinuesTrace: the publish span is the child of the commit span of the oldest change the
// snapshot publishes and links to the others' (ADR 0014), or starts a trace when no change was traced; the
// message carries its context in traceparent beside the Halyard headers.
func TestPublishContinuesTrace(t *testing.T) {
	js := startNATS(t).connect(t)
	w := newWriter(t, newDatabase(t), js, nil)
	for _, tc := range []struct {
		name    string
		changes []bool // whether each change, in commit order, was traced
		parent  int    // the change whose commit span is the parent; -1: none
		links   []int  // the changes whose commit spans are linked
	}{
		{"one traced change", []bool{true}, 0, nil},
		{"changes published together", []bool{true, true, true}, 0, []int{1, 2}},
		{"the oldest traced change is the parent", []bool{false, true, true}, 1, []int{2}},
		{"no traced change", []bool{false}, -1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnvironment(t, w.db)
			sr := recordSpans(t)
			commits, traced := make([]trace.SpanContext, len(tc.changes)), 0
			for i, on := range tc.changes {
				if on {
					traced++
					commits[i] = commitTraced(t, sr, w, env)
				} else {
					tracing.Reset()
					addFlag(t, w.db, env)
					install(sr)
				}
			}
			if _, err := w.pub.publishEnv(context.Background(), env); err != nil {
				t.Fatal(err)
			}
			pub := onlySpan(t, sr, "publish snapshot")
			if tc.parent >= 0 && (pub.Parent().SpanID() != commits[tc.parent].SpanID() || pub.Parent().TraceID() != commits[tc.parent].TraceID()) {
				t.Errorf("publish span's parent = %v, want change %d's commit span %v", pub.Parent(), tc.parent, commits[tc.parent])
			}
			if tc.parent < 0 && pub.Parent().IsValid() {
				t.Errorf("publish span's parent = %v, want none", pub.Parent())
			}
			var gotLinks, wantLinks []string
			for _, l := range pub.Links() {
				gotLinks = append(gotLinks, l.SpanContext.SpanID().String())
			}
			for _, i := range tc.links {
				wantLinks = append(wantLinks, commits[i].SpanID().String())
			}
			if diff := cmp.Diff(wantLinks, gotLinks); diff != "" {
				t.Errorf("links mismatch (-want +got):\n%s", diff)
			}
			wantAttrs := map[string]string{"messaging.system": "nats", "messaging.operation.type": "send",
				"messaging.operation.name": "publish", "messaging.destination.name": testStream.Subject(env),
				"halyard.environment.id": fmt.Sprint(env), "halyard.environment.version": fmt.Sprint(lastStored(t, js, env).Version),
				"halyard.changes": fmt.Sprint(traced), "halyard.outcome": "published",
				"messaging.message.body.size": attrOf(pub, "messaging.message.body.size"), "halyard.outbox_rows": fmt.Sprint(len(tc.changes) + 1)} // and the environment's creation
			if diff := cmp.Diff(wantAttrs, spanAttrs(pub)); diff != "" {
				t.Errorf("publish span attributes mismatch (-want +got):\n%s", diff)
			}
			header := lastHeader(t, js, env)
			want := fmt.Sprintf("00-%s-%s-01", pub.SpanContext().TraceID(), pub.SpanContext().SpanID())
			if got := header.Get("traceparent"); got != want || header.Get(HeaderVersion) == "" {
				t.Errorf("message headers %v, want traceparent %s beside %s", header, want, HeaderVersion)
			}
		})
	}
}

// TestPublishUntraced: with tracing off, the message carries no trace context and nothing is recorded.
func TestPublishUntraced(t *testing.T) {
	js := startNATS(t).connect(t)
	w := newWriter(t, newDatabase(t), js, nil)
	tracing.Reset()
	env := newEnvironment(t, w.db)
	addFlag(t, w.db, env)
	if _, err := w.pub.publishEnv(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if h := lastHeader(t, js, env); h.Get("traceparent") != "" || h.Get("tracestate") != "" {
		t.Errorf("message headers %v carry a trace context", h)
	}
}

// commitTraced commits one change of the environment under a request span and returns its commit span's
// context.
func commitTraced(tb testing.TB, sr *tracetest.SpanRecorder, w *writer, env int64) trace.SpanContext {
	tb.Helper()
	ctx, span := otel.Tracer("test").Start(context.Background(), "request")
	defer span.End()
	key := fmt.Sprint("traced-", flagCount.Add(1))
	if _, _, err := w.db.CreateFlag(ctx, env, actor, admin.FlagSpec{Flag: flag.Flag{Key: key, Active: true}}); err != nil {
		tb.Fatal(err)
	}
	for _, s := range sr.Ended() {
		if s.Name() == "commit" && s.Parent().SpanID() == span.SpanContext().SpanID() {
			return s.SpanContext()
		}
	}
	tb.Fatal("no commit span under the request's")
	return trace.SpanContext{}
}

func onlySpan(tb testing.TB, sr *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	tb.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.Name() == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("%d %q spans, want 1", len(found), name)
	}
	return found[0]
}

func spanAttrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

func attrOf(s sdktrace.ReadOnlySpan, key string) string { return spanAttrs(s)[key] }

// lastHeader returns the headers of the environment's last message on the stream.
func lastHeader(tb testing.TB, js jetstream.JetStream, env int64) nats.Header {
	tb.Helper()
	st, err := js.Stream(context.Background(), testStream.Name)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(context.Background(), testStream.Subject(env))
	if err != nil {
		tb.Fatal(err)
	}
	return m.Header
}
