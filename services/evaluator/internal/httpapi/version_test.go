package httpapi

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/buildinfo"
)

// TestVersion: GET /version on the main port is the build's information.
func TestVersion(t *testing.T) {
	_, h := testServer(t)
	rec := do(t, h, call{method: http.MethodGet, path: "/version"})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /version = %d %s", rec.Code, rec.Body)
	}
	if diff := cmp.Diff(buildinfo.Get(), decode[buildinfo.Info](t, rec)); diff != "" {
		t.Errorf("/version mismatch (-want +got):\n%s", diff)
	}
}
