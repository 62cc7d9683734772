package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/halyard-flags/halyard/shared/logging"
)

// Status is the writer's GET /status.
type Status struct {
	Status   string         `json:"status"`  // healthy or degraded
	Reasons  []string       `json:"reasons"` // why degraded (empty when healthy)
	Ready    bool           `json:"ready"`
	Version  buildinfo.Info `json:"version"`
	Postgres PostgresStatus `json:"postgres"`
	NATS     NATSStatus     `json:"nats"`
	Outbox   OutboxStatus   `json:"outbox"`
}

// PostgresStatus says whether PostgreSQL answers (the outbox's backlog query) and how the pool is used.
type PostgresStatus struct {
	Up          bool       `json:"up"`
	LastError   string     `json:"last_error,omitempty"` // of the last failed query, kept once it is back
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	Pool        PoolStatus `json:"pool"`
}

// PoolStatus is the pgx pool's connections.
type PoolStatus struct {
	Acquired int32 `json:"acquired"`
	Idle     int32 `json:"idle"`
	Total    int32 `json:"total"`
	Max      int32 `json:"max"`
}

// NATSStatus is the writer's NATS connection.
type NATSStatus struct {
	Connected  bool   `json:"connected"`
	URL        string `json:"url"` // the connected server, else the configured list; credentials redacted
	Reconnects uint64 `json:"reconnects"`
	LastError  string `json:"last_error,omitempty"`
}

// OutboxStatus is what waits to be published. Pending and the age are null while PostgreSQL does not answer.
type OutboxStatus struct {
	Pending                 *int64     `json:"pending"`
	OldestPendingAgeSeconds *float64   `json:"oldest_pending_age_seconds"`
	LastPublishedAt         *time.Time `json:"last_published_at"` // by this writer, since it started
}

// Status reports the writer's state now; the backlog is at most a second old.
func (m *Monitor) Status(context.Context) Status {
	bl, err := m.backlog.get()
	st := Status{Status: "healthy", Reasons: []string{}, Ready: m.cfg.Ready(), Version: buildinfo.Get(),
		Postgres: m.postgresStatus(err), NATS: m.natsStatus()}
	if err != nil {
		st.Reasons = append(st.Reasons, "PostgreSQL is not answering: "+err.Error())
	} else {
		age := bl.OldestAge.Seconds()
		st.Outbox.Pending, st.Outbox.OldestPendingAgeSeconds = &bl.Pending, &age
		if bl.OldestAge > m.cfg.StuckAfter {
			st.Reasons = append(st.Reasons, fmt.Sprintf("the outbox is stuck: its oldest pending change has waited %s (over %s)",
				bl.OldestAge.Round(time.Second), m.cfg.StuckAfter))
		}
	}
	if !st.NATS.Connected {
		st.Reasons = append(st.Reasons, "NATS is disconnected")
	}
	if t := m.publish.lastPublished(); !t.IsZero() {
		st.Outbox.LastPublishedAt = &t
	}
	if len(st.Reasons) > 0 {
		st.Status = "degraded"
	}
	return st
}

// postgresStatus reports PostgreSQL up when the backlog query's latest answer, err, is nil.
func (m *Monitor) postgresStatus(err error) PostgresStatus {
	ps := PostgresStatus{Up: err == nil}
	if msg, at := m.backlog.lastError(); msg != "" {
		ps.LastError, ps.LastErrorAt = msg, &at
	}
	s := m.cfg.Pool.Stat()
	ps.Pool = PoolStatus{Acquired: s.AcquiredConns(), Idle: s.IdleConns(), Total: s.TotalConns(), Max: s.MaxConns()}
	return ps
}

func (m *Monitor) natsStatus() NATSStatus {
	nc := m.cfg.NATS
	ns := NATSStatus{Connected: nc.IsConnected(), URL: m.cfg.NATSURL, Reconnects: nc.Stats().Reconnects}
	if u := nc.ConnectedUrl(); u != "" {
		ns.URL = u
	}
	ns.URL = logging.RedactNATS(ns.URL)
	if err := nc.LastError(); err != nil {
		ns.LastError = err.Error()
	}
	return ns
}
