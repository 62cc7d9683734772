package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/tracing"
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
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tb.Cleanup(tracing.Reset)
	return sr
}

// TestTraceAdminRequest: every admin API request gets a server span continuing the caller's traceparent
// (or starting a trace), named after its route, with the access log's request id, the caller and the
// status; a change's commit span is its child and carries the version the response reports.
func TestTraceAdminRequest(t *testing.T) {
	a := newAPI(t)
	env := a.environment("traced")
	flags := env.path("/flags")
	sr := recordSpans(t)
	for i, tc := range []struct {
		method, path string
		body         any
		status       int
		route        string
		upstream     bool // the caller sends a traceparent
		commit       bool // the request commits a change
	}{
		{http.MethodPost, flags, map[string]any{"key": "checkout"}, http.StatusCreated, "/api/v1/environments/:env_id/flags", true, true},
		{http.MethodPatch, flags + "/checkout", map[string]any{"name": "Checkout"}, http.StatusOK, "/api/v1/environments/:env_id/flags/:key", true, true},
		{http.MethodGet, flags, nil, http.StatusOK, "/api/v1/environments/:env_id/flags", true, false},
		{http.MethodPost, env.path("/flags/checkout/toggle"), nil, http.StatusOK, "/api/v1/environments/:env_id/flags/:key/toggle", false, true},
		{http.MethodGet, "/nope", nil, http.StatusNotFound, "unmatched", true, false},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.method, tc.route), func(t *testing.T) {
			upstream := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0xab, byte(i + 1)},
				SpanID: trace.SpanID{0xcd, byte(i + 1)}, TraceFlags: trace.FlagsSampled})
			var headers []string
			if tc.upstream {
				headers = []string{"traceparent", fmt.Sprintf("00-%s-%s-01", upstream.TraceID(), upstream.SpanID())}
			}
			rec := a.call(tc.method, tc.path, tc.body, headers...)
			if rec.Code != tc.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			server := spanWhere(t, sr, func(s sdktrace.ReadOnlySpan) bool {
				return s.SpanKind() == trace.SpanKindServer && spanAttrs(s)["halyard.request_id"] == rec.Header().Get(HeaderRequestID)
			})
			if got, want := server.Parent().SpanID(), upstream.SpanID(); tc.upstream && (got != want || server.SpanContext().TraceID() != upstream.TraceID()) {
				t.Errorf("server span's parent = %v, want the caller's %v", server.Parent(), upstream)
			}
			if !tc.upstream && server.Parent().IsValid() {
				t.Errorf("server span's parent = %v, want a new trace", server.Parent())
			}
			want := map[string]string{"http.request.method": tc.method, "http.route": tc.route, "url.path": "/api/v1" + tc.path,
				"http.response.status_code": fmt.Sprint(tc.status), "halyard.request_id": rec.Header().Get(HeaderRequestID),
				"halyard.actor": "bootstrap"}
			if tc.route == "unmatched" {
				want["halyard.actor"] = "" // no route: never authenticated
			}
			if diff := cmp.Diff(want, spanAttrs(server)); diff != "" {
				t.Errorf("server span attributes mismatch (-want +got):\n%s", diff)
			}
			if got, want := server.Name(), tc.method+" "+tc.route; got != want {
				t.Errorf("server span name %q, want %q", got, want)
			}
			commits := childrenOf(sr, server.SpanContext(), "commit")
			if !tc.commit {
				if len(commits) != 0 {
					t.Errorf("%d commit spans under a request that changes nothing", len(commits))
				}
				return
			}
			if len(commits) != 1 || spanAttrs(commits[0])["halyard.environment.version"] != rec.Header().Get(HeaderEnvironmentVersion) {
				t.Errorf("commit spans %v, want one at version %s", commits, rec.Header().Get(HeaderEnvironmentVersion))
			}
		})
	}
}

// TestTraceOnlyTheAdminAPI: probes and the build's version are not traced.
func TestTraceOnlyTheAdminAPI(t *testing.T) {
	a := newAPI(t)
	sr := recordSpans(t)
	for _, path := range []string{"/healthz", "/readyz", "/version"} {
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
	if n := len(sr.Ended()); n != 0 {
		t.Errorf("%d spans recorded, want none", n)
	}
}

// spanWhere returns the one ended span that match accepts.
func spanWhere(tb testing.TB, sr *tracetest.SpanRecorder, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	tb.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if match(s) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("%d matching spans, want 1", len(found))
	}
	return found[0]
}

func childrenOf(sr *tracetest.SpanRecorder, parent trace.SpanContext, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.Name() == name && s.Parent().SpanID() == parent.SpanID() && s.Parent().TraceID() == parent.TraceID() {
			out = append(out, s)
		}
	}
	return out
}

func spanAttrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}
