package adminserve

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type testStatus struct {
	Status string `json:"status"`
}

// TestStatus: /status is the status function's JSON, with 200 whether the process is healthy or not.
func TestStatus(t *testing.T) {
	for _, status := range []string{"healthy", "degraded"} {
		t.Run(status, func(t *testing.T) {
			h := Handler(NewRegistry(), func(context.Context) any { return testStatus{status} })
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("code = %d, want 200", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var got testStatus
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if diff := cmp.Diff(testStatus{status}, got); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMetrics: /metrics exposes the registry: build info from buildinfo, the Go runtime and the process.
func TestMetrics(t *testing.T) {
	reg := NewRegistry()
	bi := buildinfo.Get()
	want := `
# HELP halyard_build_info Which build is running: always 1, with the build's version, commit and Go version as labels.
# TYPE halyard_build_info gauge
halyard_build_info{commit="` + bi.Commit + `",go="` + bi.Go + `",version="` + bi.Version + `"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "halyard_build_info"); err != nil {
		t.Error(err)
	}
	h := Handler(reg, func(context.Context) any { return testStatus{"healthy"} })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, name := range []string{"halyard_build_info{", "go_goroutines ", "process_cpu_seconds_total "} {
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), name) {
			t.Errorf("GET /metrics: %d, no %s in\n%s", rec.Code, name, rec.Body)
		}
	}
	for _, req := range []*http.Request{httptest.NewRequest(http.MethodPost, "/metrics", nil), httptest.NewRequest(http.MethodGet, "/", nil)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 400 {
			t.Errorf("%s %s = %d, want an error", req.Method, req.URL, rec.Code)
		}
	}
}

// TestServe: Serve answers on the address it reports until the context ends; "off" serves nothing.
func TestServe(t *testing.T) {
	if err := Serve(context.Background(), Off, http.NotFoundHandler(), func(net.Addr) { t.Error("off bound an address") }); err != nil {
		t.Errorf("Serve(off) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	h := Handler(NewRegistry(), func(context.Context) any { return testStatus{"healthy"} })
	go func() { done <- Serve(ctx, "127.0.0.1:0", h, func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc
	resp, err := http.Get("http://" + addr.String() + "/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /status = %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return 5s after its context ended")
	}
}
