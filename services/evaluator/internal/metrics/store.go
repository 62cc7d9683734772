package metrics

import (
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// storeCollector reports what the store serves, read at scrape time: the store is the one source of truth,
// and an age must be computed when it is read.
type storeCollector struct {
	st                            *store.Store
	now                           func() time.Time
	envs, version, age, lastApply *prometheus.Desc
}

// RegisterStore registers the metrics of the environments st serves on reg.
func RegisterStore(reg prometheus.Registerer, st *store.Store) {
	reg.MustRegister(newStoreCollector(st, time.Now))
}

func newStoreCollector(st *store.Store, now func() time.Time) *storeCollector {
	env := []string{"environment"}
	return &storeCollector{st: st, now: now,
		envs: prometheus.NewDesc("halyard_environments", "Environments served.", nil, nil),
		version: prometheus.NewDesc("halyard_snapshot_version",
			"Version of the snapshot served, by environment id.", env, nil),
		age: prometheus.NewDesc("halyard_snapshot_age_seconds",
			"Time since the served snapshot was published, by environment id.", env, nil),
		lastApply: prometheus.NewDesc("halyard_snapshot_last_apply_timestamp_seconds",
			"When the served snapshot was applied (Unix seconds), by environment id.", env, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.envs
	ch <- c.version
	ch <- c.age
	ch <- c.lastApply
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	envs := c.st.All()
	now := c.now()
	ch <- prometheus.MustNewConstMetric(c.envs, prometheus.GaugeValue, float64(len(envs)))
	for _, e := range envs {
		id := strconv.FormatInt(e.ID, 10)
		ch <- prometheus.MustNewConstMetric(c.version, prometheus.GaugeValue, float64(e.Version), id)
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, now.Sub(e.PublishedAt).Seconds(), id)
		ch <- prometheus.MustNewConstMetric(c.lastApply, prometheus.GaugeValue, float64(e.AppliedAt.UnixNano())/1e9, id)
	}
}
