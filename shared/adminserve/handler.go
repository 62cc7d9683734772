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

// Option changes how Handler answers.
type Option func(*options)

type options struct {
	degradedCode int
}

// DegradedCode is the status code /status answers when Healthy() is false (default 503). A service whose
// /status is read by humans and dashboards, with readiness left to /readyz, answers 200 and lets the body
// say it is degraded.
func DegradedCode(code int) Option {
	return func(o *options) { o.degradedCode = code }
}

// Handler serves /metrics from reg and /status as the JSON status() returns (status code 200, or 503 when
// its Healthy() is false; see DegradedCode).
func Handler(reg *prometheus.Registry, status func(ctx context.Context) Status, opts ...Option) http.Handler {
	o := options{degradedCode: http.StatusServiceUnavailable}
	for _, opt := range opts {
		opt(&o)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st := status(r.Context())
		code := http.StatusOK
		if !st.Healthy() {
			code = o.degradedCode
		}
		body, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			http.Error(w, `{"status":"error"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_, _ = w.Write(append(body, '\n'))
	})
	return mux
}
