package httpapi

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the admin API's Prometheus metrics. NewMetrics registers them; Server.Handler feeds them.
type Metrics struct {
	requests *prometheus.CounterVec   // halyard_http_requests_total{route,method,status}
	duration *prometheus.HistogramVec // halyard_http_request_duration_seconds{route,method}
	inFlight prometheus.Gauge         // halyard_http_requests_in_flight
	panics   prometheus.Counter       // halyard_panics_recovered_total
	changes  *prometheus.CounterVec   // halyard_changes_committed_total{resource}
}

// NewMetrics creates the admin API's metrics on reg, with a zero series of changes committed for every
// resource the API changes (so rates and alerts have a series before the first change).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_http_requests_total",
			Help: "HTTP requests answered, by route pattern (unmatched for unknown routes), method and status."},
			[]string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "halyard_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "halyard_http_requests_in_flight",
			Help: "HTTP requests being answered."}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{Name: "halyard_panics_recovered_total",
			Help: "Panics in request handlers recovered and answered 500."}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_changes_committed_total",
			Help: "Changes the admin API committed, by the resource they changed."},
			[]string{"resource"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.panics, m.changes)
	for _, r := range routes {
		if changes(r.method) {
			m.changes.WithLabelValues(resourceOf(r.path))
		}
	}
	return m
}

// changes says whether a route of this method changes something.
func changes(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// resources names, for the changes metric, what a route's path segment changes.
var resources = map[string]string{
	"tokens": "token", "projects": "project", "environments": "environment", "keys": "key",
	"group-types": "group_types", "flags": "flag", "cohorts": "cohort", "members": "cohort_members",
	"import": "import", "copy-flags": "flag",
}

// resourceOf is the resource a route changes: the one its last resource segment names
// ("/environments/:env_id/flags/:key/toggle" changes a flag).
func resourceOf(path string) string {
	res := "other"
	for seg := range strings.SplitSeq(path, "/") {
		if r, ok := resources[seg]; ok {
			res = r
		}
	}
	return res
}
