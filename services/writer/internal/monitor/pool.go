package monitor

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// poolCollector reports the pgx pool's statistics at each scrape (pool.Stat() is cheap: counters under the
// pool's lock).
type poolCollector struct {
	pool *pgxpool.Pool
}

func newPoolCollector(pool *pgxpool.Pool) poolCollector { return poolCollector{pool: pool} }

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("halyard_pgxpool_"+name, help, nil, nil)
}

var (
	poolAcquired     = poolDesc("acquired_conns", "PostgreSQL connections in use.")
	poolIdle         = poolDesc("idle_conns", "PostgreSQL connections idle in the pool.")
	poolConstructing = poolDesc("constructing_conns", "PostgreSQL connections being opened.")
	poolTotal        = poolDesc("total_conns", "PostgreSQL connections in the pool: acquired, idle and being opened.")
	poolMax          = poolDesc("max_conns", "The pool's connection limit.")
	poolAcquires     = poolDesc("acquires_total", "Connections acquired from the pool.")
	poolAcquireTime  = poolDesc("acquire_duration_seconds_total", "Time spent acquiring connections from the pool.")
	poolEmpty        = poolDesc("empty_acquires_total", "Acquires that had to wait: no idle connection was there.")
	poolCanceled     = poolDesc("canceled_acquires_total", "Acquires given up by their caller before a connection came.")
	poolNew          = poolDesc("new_conns_total", "PostgreSQL connections opened.")
)

func (p poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolConstructing, poolTotal, poolMax,
		poolAcquires, poolAcquireTime, poolEmpty, poolCanceled, poolNew} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	gauge := func(d *prometheus.Desc, v int32) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(poolAcquired, s.AcquiredConns())
	gauge(poolIdle, s.IdleConns())
	gauge(poolConstructing, s.ConstructingConns())
	gauge(poolTotal, s.TotalConns())
	gauge(poolMax, s.MaxConns())
	counter(poolAcquires, float64(s.AcquireCount()))
	counter(poolAcquireTime, s.AcquireDuration().Seconds())
	counter(poolEmpty, float64(s.EmptyAcquireCount()))
	counter(poolCanceled, float64(s.CanceledAcquireCount()))
	counter(poolNew, float64(s.NewConnsCount()))
}
