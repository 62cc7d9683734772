package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCaptureDiscards: every ingestion route posthog-js may call answers PostHog's {"status": 1}, whatever
// the body's encoding, and only a body past the discard limit is refused.
func TestCaptureDiscards(t *testing.T) {
	_, h := testServer(t)
	event := []byte(`{"event":"$pageview","properties":{"token":"` + testSDKKey + `","distinct_id":"u1"}}`)
	type result struct {
		Status int
		Body   string
	}
	accepted := result{200, `{"status":1}`}
	cases := []struct {
		name string
		c    call
		want result
	}{
		{"/e/ json", call{method: http.MethodPost, path: "/e/", body: event}, accepted},
		{"/e without slash", call{method: http.MethodPost, path: "/e", body: event}, accepted},
		{"/e/ gzip-js", call{method: http.MethodPost, path: "/e/?compression=gzip-js&ver=1.449.2", body: gz(t, event),
			headers: map[string]string{"Content-Type": "text/plain"}}, accepted},
		{"/e/ form", call{method: http.MethodPost, path: "/e/?compression=base64", body: []byte("data=eyJ9"),
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, accepted},
		{"/e/ GET (image transport)", call{method: http.MethodGet, path: "/e/?data=eyJ9&ip=1&_=1"}, accepted},
		{"/i/v0/e/", call{method: http.MethodPost, path: "/i/v0/e/", body: event}, accepted},
		{"/batch/", call{method: http.MethodPost, path: "/batch/", body: []byte(`{"api_key":"k","batch":[]}`)}, accepted},
		{"/capture/", call{method: http.MethodPost, path: "/capture/", body: event}, accepted},
		{"/track/", call{method: http.MethodPost, path: "/track/", body: event}, accepted},
		{"/engage/", call{method: http.MethodPost, path: "/engage/", body: event}, accepted},
		{"/s/ recording", call{method: http.MethodPost, path: "/s/?compression=gzip-js", body: gz(t, bytes.Repeat(event, 5000))}, accepted},
		{"/i/v1/logs", call{method: http.MethodPost, path: "/i/v1/logs", body: []byte(`{"resourceLogs":[]}`)}, accepted},
		{"/i/v1/metrics", call{method: http.MethodPost, path: "/i/v1/metrics", body: []byte(`{}`)}, accepted},
		{"empty body", call{method: http.MethodPost, path: "/e/", body: []byte{}}, accepted},
		{"larger than /flags takes", call{method: http.MethodPost, path: "/s/", body: bytes.Repeat([]byte("x"), 2*MaxBodyBytes)}, accepted},
		{"past the discard limit", call{method: http.MethodPost, path: "/s/", body: bytes.Repeat([]byte("x"), maxDiscardBytes+1)},
			result{413, `{"type":"validation_error","code":"body_too_large","detail":"the request body is larger than 32 MiB"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, tc.c)
			got := result{rec.Code, strings.TrimSpace(rec.Body.String())}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("mismatch (-want +got):\n%s", d)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestCapturePreflight: a browser's preflight for a JSON event batch is allowed from any origin.
func TestCapturePreflight(t *testing.T) {
	_, h := testServer(t)
	rec := do(t, h, call{method: http.MethodOptions, path: "/e/", headers: map[string]string{
		"Origin": "http://app.example", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type"}})
	got := []string{rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("Access-Control-Allow-Credentials")}
	if rec.Code != http.StatusNoContent || !cmp.Equal(got, []string{"http://app.example", "true"}) {
		t.Fatalf("preflight: %d %v", rec.Code, got)
	}
}
