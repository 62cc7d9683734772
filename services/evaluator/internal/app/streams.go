package app

import (
	"github.com/halyard-flags/halyard/services/evaluator/internal/streams"
	"github.com/prometheus/client_golang/prometheus"
)

// registerStreams adds the change streams' gauges, read from the hub at each scrape. (Stream requests
// also count in halyard_http_requests_in_flight and, when they end, in the request duration histogram,
// whose top bucket is 1 s: a stream lasts up to HALYARD_STREAM_MAX_LIFETIME.)
func registerStreams(reg prometheus.Registerer, hub *streams.Hub) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halyard_streams_open",
			Help: "Open change streams (OFREP event streams and PostHog /stream/v1) on this replica."},
			func() float64 { return float64(hub.Open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halyard_stream_environments",
			Help: "Environments with open change streams: one store subscription each."},
			func() float64 { return float64(hub.Environments()) }),
	)
}
