package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestWrongMethodIsMethodNotAllowed: a known path with a method it does not serve answers 405 with Allow
// listing the methods it does serve; an unknown path answers 404.
func TestWrongMethodIsMethodNotAllowed(t *testing.T) {
	const token = "test-bootstrap-token-0123456789"
	e := (&Server{Log: zap.NewNop(), AdminToken: token}).Handler()
	tests := []struct {
		method, path string
		status       int
		code         string
		allow        []string
	}{
		{http.MethodPut, "/api/v1/environments/1/flags", http.StatusMethodNotAllowed, "method_not_allowed", []string{"GET", "POST"}},
		{http.MethodPost, "/api/v1/audit", http.StatusMethodNotAllowed, "method_not_allowed", []string{"GET"}},
		{http.MethodGet, "/api/v1/environments/1/import", http.StatusMethodNotAllowed, "method_not_allowed", []string{"POST"}},
		{http.MethodDelete, "/api/v1/tokens", http.StatusMethodNotAllowed, "method_not_allowed", []string{"GET", "POST"}},
		{http.MethodGet, "/api/v1/nothing-here", http.StatusNotFound, "route_not_found", nil},
		{http.MethodGet, "/api/v1", http.StatusNotFound, "route_not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tt.method, tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			e.ServeHTTP(rec, req)
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tt.status || body.Code != tt.code {
				t.Fatalf("%d %q, want %d %q (body %s)", rec.Code, body.Code, tt.status, tt.code, rec.Body)
			}
			allow := rec.Header().Get("Allow")
			for _, m := range tt.allow {
				if !strings.Contains(allow, m) {
					t.Errorf("Allow = %q, want it to list %s", allow, m)
				}
			}
		})
	}
}
