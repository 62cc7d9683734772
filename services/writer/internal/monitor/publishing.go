package monitor

import (
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/publisher"
	"github.com/prometheus/client_golang/prometheus"
)

// publishing is the publisher's observer: it counts and times publishes, and remembers the last one for
// /status.
type publishing struct {
	attempts        prometheus.Counter
	failures        *prometheus.CounterVec
	published       prometheus.Counter
	bytes           prometheus.Histogram
	duration        prometheus.Histogram
	commitToPublish prometheus.Histogram
	recoveries      *prometheus.CounterVec
	collectors      []prometheus.Collector

	last atomic.Int64 // unix nanoseconds of the last acknowledged snapshot (0: none yet)
}

var _ publisher.Observer = (*publishing)(nil)

// lagBuckets span what a change may wait to be published: milliseconds normally, minutes in an outage.
var lagBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

func newPublishing() *publishing {
	p := &publishing{
		attempts: prometheus.NewCounter(prometheus.CounterOpts{Name: "halyard_publish_attempts_total",
			Help: "Attempts to bring an environment's snapshot onto the stream."}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_publish_failures_total",
			Help: "Failed publish attempts, by reason: database, encode, timeout, rejected, nats."}, []string{"reason"}),
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "halyard_snapshots_published_total",
			Help: "Snapshots the stream acknowledged."}),
		bytes: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "halyard_snapshot_bytes",
			Help:    "Size of each published snapshot, encoded.",
			Buckets: prometheus.ExponentialBuckets(1<<10, 4, 9)}), // 1 KiB … 64 MiB
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "halyard_publish_duration_seconds",
			Help:    "Time to publish one environment: read its snapshot, encode, publish, acknowledgement, mark its outbox rows.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
		commitToPublish: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "halyard_commit_to_publish_seconds",
			Help:    "Time from the commit of the oldest change a snapshot publishes to the snapshot's acknowledgement.",
			Buckets: lagBuckets}),
		recoveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halyard_publish_recoveries_total",
			Help: "Environments the publisher repaired on the stream, by what it found: unreadable (its last message), missing or older (by the reconciler)."},
			[]string{"reason"}),
	}
	for _, r := range []string{publisher.RecoveredUnreadable, publisher.RecoveredMissing, publisher.RecoveredOlder} {
		p.recoveries.WithLabelValues(r)
	}
	for _, r := range []string{publisher.ReasonDatabase, publisher.ReasonEncode, publisher.ReasonTimeout,
		publisher.ReasonRejected, publisher.ReasonNATS} {
		p.failures.WithLabelValues(r)
	}
	p.collectors = []prometheus.Collector{p.attempts, p.failures, p.published, p.bytes, p.duration, p.commitToPublish, p.recoveries}
	return p
}

func (p *publishing) Attempted()           { p.attempts.Inc() }
func (p *publishing) Failed(reason string) { p.failures.WithLabelValues(reason).Inc() }

func (p *publishing) Recovered(reason string) { p.recoveries.WithLabelValues(reason).Inc() }

func (p *publishing) Published(pub publisher.Publication) {
	p.published.Inc()
	p.bytes.Observe(float64(pub.Bytes))
	p.duration.Observe(pub.Took.Seconds())
	if !pub.CommittedAt.IsZero() {
		p.commitToPublish.Observe(max(pub.Acked.Sub(pub.CommittedAt).Seconds(), 0))
	}
	p.last.Store(pub.Acked.UnixNano())
}

// lastPublished is when the last snapshot was acknowledged (zero when none since the writer started).
func (p *publishing) lastPublished() time.Time {
	if n := p.last.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

func (p *publishing) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range p.collectors {
		c.Describe(ch)
	}
}

func (p *publishing) Collect(ch chan<- prometheus.Metric) {
	for _, c := range p.collectors {
		c.Collect(ch)
	}
}
