package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
)

// The writer probes PostgreSQL every probeEvery and counts it unreachable when a ping has not answered
// within probeTimeout (or failed): a frozen PostgreSQL makes the writer not ready within about 3 s.
const (
	probeEvery   = time.Second
	probeTimeout = 2 * time.Second
)

// readiness is the writer's /readyz (and halyard_ready): ready once it has migrated the database and set up
// the stream (started), and for as long as PostgreSQL answers. A writer that cannot reach PostgreSQL can
// take no change and answer no read, so a load balancer in front of several writers should send the admin
// API elsewhere; NATS being down does not count (changes then wait in the outbox, and the writer stays
// useful).
type readiness struct {
	ready *atomic.Bool // what /readyz reports: started and database

	mu       sync.Mutex
	started  bool
	database bool
}

// newReadiness reports not ready until start; PostgreSQL counts as answering until a probe says otherwise.
func newReadiness(ready *atomic.Bool) *readiness { return &readiness{ready: ready, database: true} }

// start records that the writer migrated the database and can publish.
func (r *readiness) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started, r.database = true, true // it just migrated: PostgreSQL answers
	r.ready.Store(r.started && r.database)
}

// setDatabase records whether PostgreSQL answers and reports whether that changed.
func (r *readiness) setDatabase(up bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := r.database != up
	r.database = up
	r.ready.Store(r.started && r.database)
	return changed
}

// probe pings PostgreSQL every probeEvery until ctx ends, logging each change of its reachability.
func (r *readiness) probe(ctx context.Context, pool *pgxpool.Pool, log *zap.Logger) {
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ping, cancel := context.WithTimeout(ctx, probeTimeout)
		err := pool.Ping(ping)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch changed := r.setDatabase(err == nil); {
		case changed && err != nil:
			log.Warn("PostgreSQL does not answer: not ready until it does", zap.Error(err))
		case changed:
			log.Info("PostgreSQL answers again")
		}
	}
}
