package monitor

import (
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// registerNATS registers the connection's state, read from the client at each scrape.
func registerNATS(reg prometheus.Registerer, nc *nats.Conn) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halyard_nats_connected",
			Help: "1 while the writer is connected to NATS, else 0."},
			func() float64 { return boolValue(nc.IsConnected()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "halyard_nats_reconnects_total",
			Help: "Times the writer reconnected to NATS."},
			func() float64 { return float64(nc.Stats().Reconnects) }))
}
