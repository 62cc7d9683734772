package adminserve

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /metrics from reg and /status as the JSON that status returns. /status always answers 200:
// people and dashboards read it, and its body says whether the process is healthy or degraded and why;
// load balancers and orchestrators read /readyz on the main port instead.
func Handler(reg *prometheus.Registry, status func(ctx context.Context) any) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		body, err := json.MarshalIndent(status(r.Context()), "", "  ")
		if err != nil {
			http.Error(w, `{"status":"error"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(append(body, '\n'))
	})
	return mux
}
