package monitor

import (
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newRegistry returns a registry with the Go runtime's and the process's collectors and
// halyard_build_info.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	info := buildinfo.Get()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halyard_build_info",
			Help:        "Always 1; the labels say which build of Halyard is running.",
			ConstLabels: prometheus.Labels{"version": info.Version, "commit": info.Commit, "go": info.Go}},
			func() float64 { return 1 }))
	return reg
}
