package adminserve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

type testStatus struct {
	State string `json:"state"`
	ok    bool
}

func (s testStatus) Healthy() bool { return s.ok }

func TestHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "adminserve_test_gauge", Help: "A test gauge."}))
	healthy := true
	h := Handler(reg, func(context.Context) Status { return testStatus{State: "fine", ok: healthy} })
	for _, tc := range []struct {
		name, method, path string
		healthy            bool
		wantCode           int
		wantBody           string // a substring
	}{
		{"metrics", http.MethodGet, "/metrics", true, http.StatusOK, "adminserve_test_gauge 0"},
		{"status healthy", http.MethodGet, "/status", true, http.StatusOK, `"state": "fine"`},
		{"status unhealthy", http.MethodGet, "/status", false, http.StatusServiceUnavailable, `"state": "fine"`},
		{"wrong method", http.MethodPost, "/status", true, http.StatusMethodNotAllowed, ""},
		{"unknown path", http.MethodGet, "/nope", true, http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			healthy = tc.healthy
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			body, _ := io.ReadAll(rec.Body)
			if diff := cmp.Diff(tc.wantCode, rec.Code); diff != "" {
				t.Errorf("%s %s status mismatch (-want +got):\n%s", tc.method, tc.path, diff)
			}
			if !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("%s %s body %q does not contain %q", tc.method, tc.path, body, tc.wantBody)
			}
		})
	}
}
