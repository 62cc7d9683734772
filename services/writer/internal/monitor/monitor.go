// Package monitor watches the writer for its operators: the Prometheus metrics of publishing, of the outbox
// backlog, of the PostgreSQL pool and of the NATS connection, on the process's own registry, and the JSON
// report GET /status answers on the admin listener (shared/adminserve serves both). The admin API's request
// metrics are httpapi's; they go on the same registry.
package monitor

import (
	"context"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/services/writer/internal/publisher"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// BacklogReader is the outbox's backlog query (postgres.Outbox).
type BacklogReader interface {
	Backlog(ctx context.Context) (postgres.Backlog, error)
}

// Config is what the monitor watches.
type Config struct {
	Outbox  BacklogReader
	Pool    *pgxpool.Pool
	NATS    *nats.Conn
	NATSURL string      // as configured; /status shows it redacted
	Ready   func() bool // the writer's readiness (/readyz)
	// StuckAfter is how old the oldest pending outbox row may grow before /status says degraded
	// (DefaultStuckAfter when 0).
	StuckAfter time.Duration
}

// DefaultStuckAfter is Config.StuckAfter's default.
const DefaultStuckAfter = 30 * time.Second

// Monitor holds the writer's registry and what /status reads.
type Monitor struct {
	// Registry is the process's one registry: the Go runtime, the process, the build, and everything the
	// monitor watches; the admin API registers its own metrics on it too.
	Registry *prometheus.Registry

	cfg     Config
	backlog *backlog
	publish *publishing
}

// New builds the registry and registers everything the monitor watches on it.
func New(cfg Config) *Monitor {
	if cfg.StuckAfter <= 0 {
		cfg.StuckAfter = DefaultStuckAfter
	}
	m := &Monitor{Registry: newRegistry(), cfg: cfg,
		backlog: newBacklog(cfg.Outbox.Backlog), publish: newPublishing()}
	m.Registry.MustRegister(m.backlog, m.publish, newPoolCollector(cfg.Pool),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halyard_ready",
			Help: "1 when the writer is ready (it can publish: /readyz answers 200), else 0."},
			func() float64 { return boolValue(cfg.Ready()) }))
	registerNATS(m.Registry, cfg.NATS)
	return m
}

// Publishing is the publisher's observer (publisher.Observe).
func (m *Monitor) Publishing() publisher.Observer { return m.publish }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
