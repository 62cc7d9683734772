package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/prometheus/client_golang/prometheus"
)

// The outbox's backlog is read from PostgreSQL at most once per backlogEvery, whoever asks (scrapes,
// /status), and gives up after backlogTimeout: a scrape must not queue queries on a struggling database.
const (
	backlogEvery   = time.Second
	backlogTimeout = 2 * time.Second
)

// backlog caches the outbox's backlog and whether PostgreSQL answered; it is also the collector of
// halyard_postgres_up, halyard_outbox_pending and halyard_outbox_oldest_pending_age_seconds (the last two
// are left out while PostgreSQL does not answer: a stale value would look current).
type backlog struct {
	read func(context.Context) (postgres.Backlog, error)

	mu        sync.Mutex
	at        time.Time // when last read
	last      postgres.Backlog
	err       error     // of the last read
	lastErr   string    // the last failed read's error, kept after PostgreSQL is back
	lastErrAt time.Time //
}

func newBacklog(read func(context.Context) (postgres.Backlog, error)) *backlog {
	return &backlog{read: read}
}

// get returns the backlog, read now unless it was read less than backlogEvery ago.
func (b *backlog) get() (postgres.Backlog, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.at.IsZero() && time.Since(b.at) < backlogEvery {
		return b.last, b.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
	defer cancel()
	b.last, b.err = b.read(ctx)
	b.at = time.Now()
	if b.err != nil {
		b.lastErr, b.lastErrAt = b.err.Error(), b.at
	}
	return b.last, b.err
}

// lastError is the last failed read's error and when it happened ("" when none failed).
func (b *backlog) lastError() (string, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastErr, b.lastErrAt
}

var (
	postgresUpDesc = prometheus.NewDesc("halyard_postgres_up",
		"1 when the last read of the outbox's backlog (at most one per second) succeeded, else 0.", nil, nil)
	outboxPendingDesc = prometheus.NewDesc("halyard_outbox_pending",
		"Outbox rows not yet published, of every environment.", nil, nil)
	outboxAgeDesc = prometheus.NewDesc("halyard_outbox_oldest_pending_age_seconds",
		"Age of the oldest outbox row not yet published (0 when none), by PostgreSQL's clock.", nil, nil)
)

func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- postgresUpDesc
	ch <- outboxPendingDesc
	ch <- outboxAgeDesc
}

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	bl, err := b.get()
	ch <- prometheus.MustNewConstMetric(postgresUpDesc, prometheus.GaugeValue, boolValue(err == nil))
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(bl.Pending))
	ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, bl.OldestAge.Seconds())
}
