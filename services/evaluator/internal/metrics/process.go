package metrics

import (
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// NATSConn is what the NATS metrics read of the connection (*nats.Conn).
type NATSConn interface {
	IsConnected() bool
	Stats() nats.Statistics
}

// RegisterNATS registers halyard_nats_connected and halyard_nats_reconnects_total, read from nc at scrape
// time.
func RegisterNATS(reg prometheus.Registerer, nc NATSConn) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halyard_nats_connected",
			Help: "1 while connected to NATS, else 0."}, func() float64 { return bool01(nc.IsConnected()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "halyard_nats_reconnects_total",
			Help: "Reconnections to NATS since the process started."}, func() float64 { return float64(nc.Stats().Reconnects) }),
	)
}

// RegisterReady registers halyard_ready, 1 while ready() says the process is ready for traffic.
func RegisterReady(reg prometheus.Registerer, ready func() bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halyard_ready",
		Help: "1 while the process is ready for traffic (/readyz answers 200), else 0."}, func() float64 { return bool01(ready()) }))
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
