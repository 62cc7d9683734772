package httpapi

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/ratelimit"
)

// TestRateLimitPerIP: each client address gets its own bucket, beside the per-key one; X-Forwarded-For
// names the client only when the peer is a trusted proxy; health checks are never limited; OFREP routes
// answer in OFREP's shape.
func TestRateLimitPerIP(t *testing.T) {
	_, proxies, _ := net.ParseCIDR("10.0.0.0/8")
	flags := call{method: http.MethodPost, path: "/flags?v=2", body: []byte(`{"token":"` + testSDKKey + `","distinct_id":"u"}`)}
	ofrep := call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags", body: []byte(`{"context":{"targetingKey":"u"}}`),
		headers: map[string]string{"Authorization": "Bearer " + testSDKKey}}
	health := call{method: http.MethodGet, path: "/healthz"}
	type req struct {
		c        call
		peer     string
		xff      string
		wantCode int
	}
	tests := []struct {
		name    string
		trusted []*net.IPNet
		reqs    []req
	}{
		{"each address its own burst of two", nil, []req{
			{flags, "192.0.2.1:1000", "", 200}, {flags, "192.0.2.1:1001", "", 200}, {flags, "192.0.2.1:1002", "", 429},
			{flags, "192.0.2.2:1000", "", 200}, {health, "192.0.2.1:1003", "", 200}, {ofrep, "192.0.2.1:1004", "", 429},
		}},
		{"X-Forwarded-For ignored from an untrusted peer", nil, []req{
			{flags, "192.0.2.1:1000", "198.51.100.1", 200}, {flags, "192.0.2.1:1000", "198.51.100.2", 200},
			{flags, "192.0.2.1:1000", "198.51.100.3", 429},
		}},
		{"X-Forwarded-For names the client behind a trusted proxy", []*net.IPNet{proxies}, []req{
			{flags, "10.1.1.1:1000", "198.51.100.1", 200}, {flags, "10.1.1.1:1000", "198.51.100.1", 200},
			{flags, "10.1.1.1:1000", "198.51.100.1", 429}, {flags, "10.1.1.1:1000", "198.51.100.2", 200},
			{flags, "10.1.1.1:1000", "203.0.113.9, 198.51.100.1", 429}, // the right-most untrusted address counts
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := testServer(t)
			s.IPLimiter = ratelimit.New(0.0001, 2)
			s.ClientIP = ClientIP(tt.trusted)
			h := s.Handler()
			var want, got []int
			for _, r := range tt.reqs {
				req := httptest.NewRequest(r.c.method, r.c.path, strings.NewReader(string(r.c.body)))
				req.RemoteAddr = r.peer
				req.Header.Set("Content-Type", "application/json")
				for k, v := range r.c.headers {
					req.Header.Set(k, v)
				}
				if r.xff != "" {
					req.Header.Set("X-Forwarded-For", r.xff)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				want, got = append(want, r.wantCode), append(got, rec.Code)
				if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
				if rec.Code == http.StatusTooManyRequests && strings.HasPrefix(r.c.path, "/ofrep/") && !strings.Contains(rec.Body.String(), `"errorCode":"GENERAL"`) {
					t.Errorf("OFREP 429 %s, want OFREP's shape", rec.Body)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statuses mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
