package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

// TestRequestTimeout: a call still running when its timeout passes answers 503 with Retry-After, never a
// 500, and an error the handler classified itself is kept.
func TestRequestTimeout(t *testing.T) {
	s := &Server{Log: zap.NewNop()}
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{"unclassified error", errors.New("query: context deadline exceeded"), http.StatusServiceUnavailable, "request_timeout"},
		{"classified error", tooLarge(1 << 20), http.StatusRequestEntityTooLarge, "body_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			e.HTTPErrorHandler = s.handleError
			e.GET("/slow", func(c echo.Context) error {
				<-c.Request().Context().Done()
				return tc.err
			}, requestTimeout(50*time.Millisecond))
			rec := httptest.NewRecorder()
			start := time.Now()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/slow", nil))
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("answered after %s, want about 50ms", took)
			}
			var body errorBody
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != tc.wantStatus || body.Code != tc.wantCode {
				t.Errorf("answer = %d %q, want %d %q", rec.Code, body.Code, tc.wantStatus, tc.wantCode)
			}
			if tc.wantStatus == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
				t.Error("a 503 without Retry-After")
			}
		})
	}
}

// TestTimeoutOf: ordinary calls get the request timeout (10 s unless set), uploads the upload timeout, the
// events streams none.
func TestTimeoutOf(t *testing.T) {
	byPath := func(method, path string) route {
		for _, r := range routes {
			if r.method == method && r.path == path {
				return r
			}
		}
		t.Fatalf("no route %s %s", method, path)
		return route{}
	}
	patch := byPath(http.MethodPatch, "/environments/:env_id/flags/:key")
	imp := byPath(http.MethodPost, "/environments/:env_id/import")
	events := byPath(http.MethodGet, "/environments/:env_id/events")
	unset, set := &Server{}, &Server{RequestTimeout: 3 * time.Second, UploadTimeout: 5 * time.Minute}
	got := []time.Duration{unset.timeoutOf(patch), unset.timeoutOf(imp), unset.timeoutOf(events),
		set.timeoutOf(patch), set.timeoutOf(imp), set.timeoutOf(events)}
	want := []time.Duration{DefaultRequestTimeout, 0, 0, 3 * time.Second, 5 * time.Minute, 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("timeouts mismatch (-want +got):\n%s", diff)
	}
}
