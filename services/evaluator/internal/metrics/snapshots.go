package metrics

import (
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/natssub"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/prometheus/client_golang/prometheus"
)

// Snapshots counts what the follower does with each snapshot; it is the follower's natssub.Observer.
type Snapshots struct {
	applied    prometheus.Counter
	rejected   map[string]prometheus.Counter
	duration   prometheus.Histogram
	commitLag  prometheus.Observer
	publishLag prometheus.Observer
	now        func() time.Time
}

var _ natssub.Observer = (*Snapshots)(nil)

// NewSnapshots registers the snapshot metrics on reg.
func NewSnapshots(reg prometheus.Registerer) *Snapshots {
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_snapshots_rejected_total",
		Help: "Snapshots not applied, by reason: decode, format_version, older, wrong_environment, signature, incomplete, integrity."}, []string{"reason"})
	lag := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "halyard_replication_lag_seconds",
		Help:    "Time from a change to its snapshot's apply here, by stage: commit_to_apply (from the writer's commit), publish_to_apply (from the publish). Live snapshots only, not the initial catch-up.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"stage"})
	s := &Snapshots{
		applied: prometheus.NewCounter(prometheus.CounterOpts{Name: "halyard_snapshots_applied_total",
			Help: "Snapshots applied (decoded, compiled and swapped in)."}),
		rejected: map[string]prometheus.Counter{},
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "halyard_snapshot_apply_duration_seconds",
			Help:    "Time to decode, compile and swap in a snapshot.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
		commitLag:  lag.WithLabelValues("commit_to_apply"),
		publishLag: lag.WithLabelValues("publish_to_apply"),
		now:        time.Now,
	}
	for _, r := range natssub.Reasons {
		s.rejected[r] = rejected.WithLabelValues(r)
	}
	reg.MustRegister(s.applied, rejected, s.duration, lag)
	return s
}

// Applied counts an applied snapshot and, for a live one, its replication lag.
func (s *Snapshots) Applied(snap *wire.Snapshot, took time.Duration, replayed bool) {
	s.applied.Inc()
	s.duration.Observe(took.Seconds())
	if replayed {
		return // published before this process started: its age says nothing of replication
	}
	now := s.now()
	if snap.CommittedAt != 0 { // 0 from writers that predate it
		s.commitLag.Observe(now.Sub(time.UnixMilli(snap.CommittedAt)).Seconds())
	}
	s.publishLag.Observe(now.Sub(time.UnixMilli(snap.PublishedAt)).Seconds())
}

// Rejected counts a rejected snapshot.
func (s *Snapshots) Rejected(reason string) {
	if c, ok := s.rejected[reason]; ok {
		c.Inc()
	}
}
