package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOpenAPICoversEveryRoute: /openapi.json describes exactly the routes the handler serves.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s, h := testServer(t)
	s.Streams = &Streams{} // its routes are served only with streams
	rec := do(t, h, call{method: http.MethodGet, path: "/openapi.json"})
	var spec struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &spec); err != nil || rec.Code != 200 || !strings.HasPrefix(spec.OpenAPI, "3.") {
		t.Fatalf("GET /openapi.json: %d %v", rec.Code, err)
	}
	var documented, served []string
	for p, ops := range spec.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	param := regexp.MustCompile(`:(\w+)`)
	for _, r := range s.Handler().Routes() {
		if r.Method == "echo_route_any" || strings.HasPrefix(r.Name, "github.com/labstack") && r.Path == "" {
			continue
		}
		served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	if len(served) < 15 {
		t.Fatalf("only %d routes served: %v", len(served), served)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if d := cmp.Diff(served, documented); d != "" {
		t.Errorf("routes and /openapi.json differ (-served +documented):\n%s", d)
	}
}
