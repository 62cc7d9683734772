// Command openapi prints the writer's admin API description (what GET /api/v1/openapi.json serves) without
// a database or a running writer: the admin UI generates its TypeScript types from it (ui/scripts/gen-api.mjs).
package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/halyard-flags/halyard/services/writer/internal/httpapi"
	"go.uber.org/zap"
)

func main() {
	rec := httptest.NewRecorder()
	(&httpapi.Server{Log: zap.NewNop()}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		fmt.Fprintf(os.Stderr, "openapi: GET /api/v1/openapi.json answered %d\n", rec.Code)
		os.Exit(1)
	}
	_, _ = os.Stdout.Write(rec.Body.Bytes())
}
