package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// TestCheckIfMatch: If-Match follows RFC 9110 §13.1.1 against a resource at version 5: a list matches when
// any member matches, comparison is strong (a weak validator never matches), and * matches any existing
// resource.
func TestCheckIfMatch(t *testing.T) {
	tests := []struct {
		name   string
		values []string // one header line each
		match  bool
	}{
		{"absent", nil, true},
		{"star", []string{"*"}, true},
		{"current", []string{`"5"`}, true},
		{"stale", []string{`"4"`}, false},
		{"list with current", []string{`"99", "5"`}, true},
		{"list without spaces", []string{`"99","5"`}, true},
		{"list without current", []string{`"99", "4"`}, false},
		{"several header lines", []string{`"99"`, `"5"`}, true},
		{"weak current", []string{`W/"5"`}, false},
		{"weak in list", []string{`W/"5", "6"`}, false},
		{"weak and strong", []string{`W/"5", "5"`}, true},
		{"bare number", []string{`5`}, true},
		{"quoted comma", []string{`"5,6"`}, false},
		{"garbage", []string{`"5`}, false},
		{"empty member", []string{`, "5"`}, true},
	}
	e := echo.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPatch, "/", nil)
			for _, v := range tt.values {
				req.Header.Add("If-Match", v)
			}
			err := checkIfMatch(e.NewContext(req, httptest.NewRecorder()), "flag", 5)
			if tt.match && err != nil {
				t.Fatalf("If-Match %q refused: %v", tt.values, err)
			}
			if !tt.match && apperr.KindOf(err) != apperr.PreconditionFailed {
				t.Fatalf("If-Match %q: error %v, want 412", tt.values, err)
			}
		})
	}
}
