package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestUnknownKeyWhileNotReady: a key found in no environment is 503 not_ready with Retry-After while the
// evaluator has not caught up (its environment may simply not have arrived), on every route that takes a
// key, in each route's error shape; once ready the same key is refused as invalid.
func TestUnknownKeyWhileNotReady(t *testing.T) {
	s, h := testServer(t)
	unknown := "phc_not_received_yet"
	calls := []struct {
		name         string
		c            call
		readyStatus  int
		notReadyBody string
	}{
		{"flags", call{method: http.MethodPost, path: "/flags?v=2", body: []byte(`{"token":"` + unknown + `","distinct_id":"u"}`)},
			http.StatusUnauthorized, `"code":"not_ready"`},
		{"decide", call{method: http.MethodPost, path: "/decide?v=3", body: []byte(`{"token":"` + unknown + `","distinct_id":"u"}`)},
			http.StatusUnauthorized, `"code":"not_ready"`},
		{"ofrep single", call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/x", body: []byte(`{"context":{"targetingKey":"u"}}`),
			headers: map[string]string{"Authorization": "Bearer " + unknown}}, http.StatusForbidden, `"errorDetails":"not_ready: `},
		{"ofrep bulk", call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags", body: []byte(`{"context":{"targetingKey":"u"}}`),
			headers: map[string]string{"Authorization": "Bearer " + unknown}}, http.StatusForbidden, `"errorDetails":"not_ready: `},
		{"definitions", call{method: http.MethodGet, path: "/api/feature_flag/local_evaluation",
			headers: map[string]string{"Authorization": "Bearer phs_not_received_yet"}}, http.StatusUnauthorized, `"code":"not_ready"`},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			s.Ready.Store(false)
			rec := do(t, h, tc.c)
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != notReadyRetryAfter ||
				!strings.Contains(rec.Body.String(), tc.notReadyBody) {
				t.Errorf("not ready: %d (Retry-After %q) %s; want 503 with Retry-After and %s", rec.Code,
					rec.Header().Get("Retry-After"), rec.Body, tc.notReadyBody)
			}
			s.Ready.Store(true)
			if rec := do(t, h, tc.c); rec.Code != tc.readyStatus {
				t.Errorf("ready: %d %s; want %d", rec.Code, rec.Body, tc.readyStatus)
			}
		})
	}
	s.Ready.Store(false)
	known := do(t, h, call{method: http.MethodPost, path: "/flags?v=2", body: []byte(`{"token":"` + testSDKKey + `","distinct_id":"u"}`)})
	if known.Code != http.StatusOK {
		t.Errorf("a known key while not ready: %d %s; want 200 from what the evaluator holds", known.Code, known.Body)
	}
}
