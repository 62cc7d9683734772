// Package adminserve is the generic part of a Halyard process's admin listener (HALYARD_ADMIN_ADDR): the
// process's own Prometheus registry at GET /metrics and its JSON status at GET /status. Each service builds
// its registry and its status report; this package only serves them, the same way in every process.
package adminserve

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Status is what /status reports; each service embeds it in its own JSON.
type Status interface{ Healthy() bool }

// Handler serves /metrics from reg and /status as the JSON status() returns (status code 200, or 503 when
// its Healthy() is false).
func Handler(reg *prometheus.Registry, status func(ctx context.Context) Status) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st := status(r.Context())
		body, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		code := http.StatusOK
		if !st.Healthy() {
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_, _ = w.Write(append(body, '\n'))
	})
	return mux
}
