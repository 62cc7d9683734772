package adminserve

import (
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns a process's registry (never the global default one) holding the Go runtime and
// process collectors and halyard_build_info{version,commit,go} = 1.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	bi := buildinfo.Get()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "halyard_build_info",
			Help:        "Which build is running: always 1, with the build's version, commit and Go version as labels.",
			ConstLabels: prometheus.Labels{"version": bi.Version, "commit": bi.Commit, "go": bi.Go},
		}, func() float64 { return 1 }),
	)
	return reg
}
