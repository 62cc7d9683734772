package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestHTTPMetrics: every answer is counted by route pattern, method and status; evaluations by route
// family; a path no route matches is "unmatched", a method HTTP does not define "other".
func TestHTTPMetrics(t *testing.T) {
	o := observedServer(t)
	before := samples(t, o.reg)
	for _, want := range []string{
		`halyard_http_requests_total{method="POST",route="/ofrep/v1/evaluate/flags/:key",status="200"}`,
		`halyard_http_requests_total{method="OPTIONS",route="/flags",status="200"}`,
		`halyard_http_request_duration_seconds_count{method="POST",route="/flags/"}`,
		`halyard_evaluations_total{route="local_evaluation"}`,
		`halyard_rate_limited_requests_total{route="decide"}`,
		`halyard_http_requests_in_flight{}`,
		`halyard_panics_recovered_total{}`,
	} {
		if v, ok := before[want]; !ok || v != 0 {
			t.Errorf("before any request: %s = %v, %t; want 0, present", want, v, ok)
		}
	}

	flagsBody := mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "u", "person_properties": map[string]any{"email": "ada@example.com"}})
	sdk := map[string]string{"Authorization": "Bearer " + testSDKKey}
	ctx := []byte(`{"context":{"targetingKey":"u"}}`)
	flags := decode[v2Answer](t, do(t, o.h, call{method: http.MethodPost, path: "/flags?v=2", body: flagsBody}))
	do(t, o.h, call{method: http.MethodPost, path: "/decide/?v=4", body: flagsBody})
	do(t, o.h, call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/bool-on", body: ctx, headers: sdk})
	do(t, o.h, call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/missing", body: ctx, headers: sdk})
	bulk := decode[struct{ Flags []any }](t, do(t, o.h, call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags", body: ctx, headers: sdk}))
	do(t, o.h, call{method: http.MethodGet, path: "/flags/definitions", headers: map[string]string{"Authorization": "Bearer " + testServerKey}})
	do(t, o.h, call{method: http.MethodGet, path: "/nowhere"})
	do(t, o.h, call{method: "BREW", path: "/flags"})
	do(t, o.h, call{method: http.MethodOptions, path: "/flags", headers: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}})
	o.s.Limiter = fakeLimiter{}
	do(t, o.h, call{method: http.MethodPost, path: "/decide", body: flagsBody})
	do(t, o.h, call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags", body: ctx, headers: sdk})

	got := samples(t, o.reg)
	want := map[string]float64{
		`halyard_http_requests_total{method="POST",route="/flags",status="200"}`:                           1,
		`halyard_http_requests_total{method="POST",route="/decide/",status="200"}`:                         1,
		`halyard_http_requests_total{method="POST",route="/ofrep/v1/evaluate/flags/:key",status="200"}`:    1,
		`halyard_http_requests_total{method="POST",route="/ofrep/v1/evaluate/flags/:key",status="404"}`:    1,
		`halyard_http_requests_total{method="POST",route="/ofrep/v1/evaluate/flags",status="200"}`:         1,
		`halyard_http_requests_total{method="GET",route="/flags/definitions",status="200"}`:                1,
		`halyard_http_requests_total{method="GET",route="unmatched",status="404"}`:                         1,
		`halyard_http_requests_total{method="other",route="/flags",status="405"}`:                          1,
		`halyard_http_requests_total{method="OPTIONS",route="/flags",status="204"}`:                        1,
		`halyard_http_requests_total{method="POST",route="/decide",status="429"}`:                          1,
		`halyard_http_requests_total{method="POST",route="/ofrep/v1/evaluate/flags",status="429"}`:         1,
		`halyard_evaluations_total{route="flags"}`:                                                         float64(len(flags.Flags)),
		`halyard_evaluations_total{route="decide"}`:                                                        float64(len(flags.Flags)),
		`halyard_evaluations_total{route="ofrep_single"}`:                                                  1,
		`halyard_evaluations_total{route="ofrep_bulk"}`:                                                    float64(len(bulk.Flags)),
		`halyard_evaluations_total{route="local_evaluation"}`:                                              float64(len(bulk.Flags)),
		`halyard_rate_limited_requests_total{route="decide"}`:                                              1,
		`halyard_rate_limited_requests_total{route="ofrep_bulk"}`:                                          1,
		`halyard_http_request_duration_seconds_count{method="POST",route="/flags"}`:                        1,
		`halyard_http_request_duration_seconds_count{method="POST",route="/decide/"}`:                      1,
		`halyard_http_request_duration_seconds_count{method="POST",route="/decide"}`:                       1,
		`halyard_http_request_duration_seconds_count{method="POST",route="/ofrep/v1/evaluate/flags/:key"}`: 2,
		`halyard_http_request_duration_seconds_count{method="POST",route="/ofrep/v1/evaluate/flags"}`:      2,
		`halyard_http_request_duration_seconds_count{method="GET",route="/flags/definitions"}`:             1,
		`halyard_http_request_duration_seconds_count{method="GET",route="unmatched"}`:                      1,
		`halyard_http_request_duration_seconds_count{method="other",route="/flags"}`:                       1,
		`halyard_http_request_duration_seconds_count{method="OPTIONS",route="/flags"}`:                     1,
	}
	if diff := cmp.Diff(want, nonZero(got, "halyard_http_requests_total", "halyard_evaluations_total",
		"halyard_rate_limited_requests_total", "halyard_http_request_duration_seconds_count")); diff != "" {
		t.Errorf("metrics mismatch (-want +got):\n%s", diff)
	}
	if v := got["halyard_http_requests_in_flight{}"]; v != 0 {
		t.Errorf("in flight after the requests = %v", v)
	}
}

// panickyLimiter panics in the middle of every request it is asked about.
type panickyLimiter struct{ value any }

func (l panickyLimiter) Allow(string) (bool, time.Duration) { panic(l.value) }

// TestPanicRecovered: a panic in a handler is answered 500 in the route's usual JSON error shape, logged
// once through zap with its stack and the request id, counted, and written to the access log.
func TestPanicRecovered(t *testing.T) {
	tests := []struct {
		name     string
		c        call
		wantBody string
	}{
		{
			name:     "PostHog route",
			c:        call{method: http.MethodPost, path: "/flags?v=2", body: mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "u"})},
			wantBody: `{"type":"validation_error","code":"internal","detail":"internal error"}`,
		},
		{
			name: "OFREP route",
			c: call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/bool-on", body: []byte(`{"context":{"targetingKey":"u"}}`),
				headers: map[string]string{"Authorization": "Bearer " + testSDKKey}},
			wantBody: `{"key":"bool-on","errorCode":"GENERAL","errorDetails":"internal error"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := observedServer(t)
			o.s.Limiter = panickyLimiter{"limiter exploded"}
			rec := do(t, o.h, tt.c)
			if rec.Code != http.StatusInternalServerError || strings.TrimSpace(rec.Body.String()) != tt.wantBody ||
				!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Errorf("answer = %d %q %q; want 500 %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body, tt.wantBody)
			}
			id := rec.Header().Get("X-Request-Id")
			logs := o.logs.entries(t)
			if len(logs) != 1 {
				t.Fatalf("logged %d lines, want 1: %v", len(logs), logs)
			}
			e := logs[0]
			if e["level"] != "error" || e["msg"] != "panic recovered" || e["panic"] != "limiter exploded" || e["request_id"] != id ||
				!strings.Contains(fmt.Sprint(e["stack"]), "panickyLimiter.Allow") {
				t.Errorf("log = %v", e)
			}
			if got := samples(t, o.reg)["halyard_panics_recovered_total{}"]; got != 1 {
				t.Errorf("halyard_panics_recovered_total = %v, want 1", got)
			}
			if a := o.access.entries(t); len(a) != 1 || a[0]["status"] != 500.0 {
				t.Errorf("access log = %v", a)
			}
		})
	}
}

// TestAbortHandlerPanics: http.ErrAbortHandler is net/http's way to abort a response; it goes on to
// net/http, not counted as a recovered panic, and the request no longer counts as in flight.
func TestAbortHandlerPanics(t *testing.T) {
	o := observedServer(t)
	o.s.Limiter = panickyLimiter{http.ErrAbortHandler}
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		do(t, o.h, call{method: http.MethodPost, path: "/flags?v=2", body: mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "u"})})
	}()
	got := samples(t, o.reg)
	if got["halyard_panics_recovered_total{}"] != 0 || got["halyard_http_requests_in_flight{}"] != 0 {
		t.Errorf("panics %v, in flight %v; want 0, 0", got["halyard_panics_recovered_total{}"], got["halyard_http_requests_in_flight{}"])
	}
	if logs := o.logs.String(); logs != "" {
		t.Errorf("logged %s", logs)
	}
}
