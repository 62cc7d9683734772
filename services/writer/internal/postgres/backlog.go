package postgres

import (
	"context"
	"fmt"
	"time"
)

// Backlog is how far the outbox is behind: what /status and the writer's metrics report.
type Backlog struct {
	Pending int64 // outbox rows not yet published, of every environment
	// OldestAge is how long ago the oldest pending row was committed, by PostgreSQL's clock (0 when none).
	OldestAge time.Duration
}

// Backlog counts the pending outbox rows and measures the oldest one's age. It reads the pending rows
// through the outbox_pending partial index, so it costs little while the publisher keeps up.
func (o *Outbox) Backlog(ctx context.Context) (Backlog, error) {
	var b Backlog
	var ageSeconds float64
	err := o.pool.QueryRow(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
		FROM outbox WHERE published_at IS NULL`).Scan(&b.Pending, &ageSeconds)
	if err != nil {
		return Backlog{}, fmt.Errorf("postgres.Outbox.Backlog: %w", err)
	}
	b.OldestAge = time.Duration(max(ageSeconds, 0) * float64(time.Second))
	return b, nil
}
