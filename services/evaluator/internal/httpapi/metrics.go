package httpapi

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// evalRoute is a route family as halyard_evaluations_total and halyard_rate_limited_requests_total label it.
type evalRoute int

const (
	evalNone evalRoute = iota - 1
	evalFlags
	evalDecide
	evalOFREPSingle
	evalOFREPBulk
	evalLocalEvaluation
	numEvalRoutes
)

var evalRouteNames = [numEvalRoutes]string{"flags", "decide", "ofrep_single", "ofrep_bulk", "local_evaluation"}

// evalRouteOf is the family of an echo route path.
func evalRouteOf(path string) evalRoute {
	switch path {
	case "/flags", "/flags/":
		return evalFlags
	case "/decide", "/decide/":
		return evalDecide
	case "/ofrep/v1/evaluate/flags/:key":
		return evalOFREPSingle
	case "/ofrep/v1/evaluate/flags":
		return evalOFREPBulk
	case "/api/feature_flag/local_evaluation", "/api/feature_flag/local_evaluation/", "/flags/definitions", "/flags/definitions/":
		return evalLocalEvaluation
	}
	return evalNone
}

// Metrics are the HTTP API's Prometheus metrics. The series of every route and method it serves are made
// when the handler is built, so a request pays a map lookup by route and a few atomic adds, never a
// label lookup (except for a status it has not answered before on that route).
type Metrics struct {
	requests    *prometheus.CounterVec   // halyard_http_requests_total{route,method,status}
	duration    *prometheus.HistogramVec // halyard_http_request_duration_seconds{route,method}
	inFlight    prometheus.Gauge
	panics      prometheus.Counter
	evaluations [numEvalRoutes]prometheus.Counter
	rateLimited [numEvalRoutes]prometheus.Counter
}

// NewMetrics registers the HTTP API's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_http_requests_total",
			Help: "HTTP requests answered, by echo route pattern (unmatched for unknown paths), method and status."},
			[]string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "halyard_http_request_duration_seconds",
			Help:    "Time from a request's routing to its answer, by route pattern and method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}},
			[]string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "halyard_http_requests_in_flight",
			Help: "HTTP requests being answered now."}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{Name: "halyard_panics_recovered_total",
			Help: "Panics in request handling recovered and answered 500."}),
	}
	evaluations := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_evaluations_total",
		Help: "Flags evaluated (a request for 50 flags counts 50); for local_evaluation, flag definitions sent."},
		[]string{"route"})
	limited := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_rate_limited_requests_total",
		Help: "Requests refused with 429 by the per-key rate limit."}, []string{"route"})
	for r, name := range evalRouteNames {
		m.evaluations[r] = evaluations.WithLabelValues(name)
		m.rateLimited[r] = limited.WithLabelValues(name)
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.panics, evaluations, limited)
	return m
}

// evaluated counts n flags evaluated on route r. A nil Metrics counts nothing.
func (m *Metrics) evaluated(r evalRoute, n int) {
	if m != nil {
		m.evaluations[r].Add(float64(n))
	}
}

// routeTable holds the series of every route of one handler, by echo route path.
type routeTable struct {
	m         *Metrics
	routes    map[string]*routeMetrics
	unmatched *routeMetrics
}

// routeMetrics are one route's series.
type routeMetrics struct {
	route   string
	eval    evalRoute
	methods [numMethods]*methodMetrics // nil: a method the route does not serve
}

// methodMetrics are one route and method's series; the counters of the statuses in commonStatuses are
// made on first use and kept.
type methodMetrics struct {
	m        *Metrics
	route    string
	method   string
	duration prometheus.Observer
	statuses [len(commonStatuses)]atomic.Pointer[prometheus.Counter]
}

// The methods and statuses whose series a route keeps at hand.
const (
	methodGet = iota
	methodPost
	methodHead
	methodOptions
	numMethods
)

var commonStatuses = [...]int{200, 204, 304, 400, 401, 403, 404, 405, 413, 429, 500}

func methodIndex(m string) int {
	switch m {
	case "GET":
		return methodGet
	case "POST":
		return methodPost
	case "HEAD":
		return methodHead
	case "OPTIONS":
		return methodOptions
	}
	return -1
}

// methodLabel bounds the method label to the methods HTTP defines.
func methodLabel(m string) string {
	switch m {
	case "GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "CONNECT", "TRACE":
		return m
	}
	return "other"
}

// newRouteTable makes the series of every route and method of routes, and OPTIONS (CORS preflights) on
// each route; a nil Metrics gives a nil table, which records nothing.
func (m *Metrics) newRouteTable(routes []*echo.Route) *routeTable {
	if m == nil {
		return nil
	}
	t := &routeTable{m: m, routes: map[string]*routeMetrics{}, unmatched: &routeMetrics{route: "unmatched", eval: evalNone}}
	for _, r := range routes {
		i := methodIndex(r.Method)
		if i < 0 {
			continue
		}
		rm := t.routes[r.Path]
		if rm == nil {
			rm = &routeMetrics{route: r.Path, eval: evalRouteOf(r.Path)}
			rm.methods[methodOptions] = m.methodMetrics(r.Path, "OPTIONS")
			t.routes[r.Path] = rm
		}
		rm.methods[i] = m.methodMetrics(r.Path, r.Method)
	}
	return t
}

func (m *Metrics) methodMetrics(route, method string) *methodMetrics {
	mm := &methodMetrics{m: m, route: route, method: method, duration: m.duration.WithLabelValues(route, method)}
	mm.counter(200) // so each route's series exist, at 0, before its first request
	return mm
}

// observe records one answered request of route (an echo route path; "" when nothing matched) and method.
func (t *routeTable) observe(route, method string, status int, took time.Duration) {
	rm, ok := t.routes[route]
	if !ok {
		rm = t.unmatched
	}
	if status == 429 && rm.eval != evalNone {
		t.m.rateLimited[rm.eval].Inc()
	}
	if i := methodIndex(method); i >= 0 && rm.methods[i] != nil {
		mm := rm.methods[i]
		mm.duration.Observe(took.Seconds())
		mm.counter(status).Inc()
		return
	}
	label := methodLabel(method)
	t.m.duration.WithLabelValues(rm.route, label).Observe(took.Seconds())
	t.m.requests.WithLabelValues(rm.route, label, strconv.Itoa(status)).Inc()
}

// counter is the requests counter of status.
func (mm *methodMetrics) counter(status int) prometheus.Counter {
	for i, s := range commonStatuses {
		if s != status {
			continue
		}
		if c := mm.statuses[i].Load(); c != nil {
			return *c
		}
		c := mm.m.requests.WithLabelValues(mm.route, mm.method, strconv.Itoa(status))
		mm.statuses[i].Store(&c)
		return c
	}
	return mm.m.requests.WithLabelValues(mm.route, mm.method, strconv.Itoa(status))
}
