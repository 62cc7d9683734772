package metrics

import (
	"github.com/halyard-flags/halyard/services/evaluator/internal/snapdir"
	"github.com/prometheus/client_golang/prometheus"
)

// Disk counts what the snapshot directory (HALYARD_SNAPSHOT_DIR) does; it is snapdir's Observer. Its series
// exist, at 0, whether the directory is configured or not.
type Disk struct {
	loaded, writes prometheus.Counter
	failures       map[string]prometheus.Counter
}

var _ snapdir.Observer = (*Disk)(nil)

// NewDisk registers the snapshot directory's metrics on reg; fromDisk counts the environments served from
// disk now (store.Store.FromDisk).
func NewDisk(reg prometheus.Registerer, fromDisk func() int) *Disk {
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_snapshot_disk_failures_total",
		Help: "Snapshot files not written or not used, by reason: write, read, corrupt, format, wrong_environment."}, []string{"reason"})
	d := &Disk{
		loaded: prometheus.NewCounter(prometheus.CounterOpts{Name: "halyard_snapshots_loaded_from_disk_total",
			Help: "Snapshots read back from HALYARD_SNAPSHOT_DIR and applied at start."}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{Name: "halyard_snapshot_disk_writes_total",
			Help: "Files (snapshots and the catalog) written to HALYARD_SNAPSHOT_DIR."}),
		failures: map[string]prometheus.Counter{},
	}
	for _, r := range snapdir.Reasons {
		d.failures[r] = failures.WithLabelValues(r)
	}
	reg.MustRegister(d.loaded, d.writes, failures, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "halyard_environments_from_disk",
		Help: "Environments served from HALYARD_SNAPSHOT_DIR that the stream has not delivered again yet."},
		func() float64 { return float64(fromDisk()) }))
	return d
}

// Loaded counts a snapshot applied from disk.
func (d *Disk) Loaded() { d.loaded.Inc() }

// Written counts a file written.
func (d *Disk) Written() { d.writes.Inc() }

// Failed counts a file not written or not used.
func (d *Disk) Failed(reason string) {
	if c, ok := d.failures[reason]; ok {
		c.Inc()
	}
}
