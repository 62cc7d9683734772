// Package status is what the evaluator's GET /status (on the admin listener) reports: healthy or degraded
// and why, readiness, the build, the NATS connection and every environment served with its version and
// age. It is for humans and dashboards; readiness for traffic stays /readyz's.
package status

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/buildinfo"
)

// Report is the body of /status.
type Report struct {
	Status       string         `json:"status"` // healthy or degraded
	Reasons      []string       `json:"reasons"`
	Ready        bool           `json:"ready"`
	Version      buildinfo.Info `json:"version"`
	NATS         NATS           `json:"nats"`
	Environments []Environment  `json:"environments"`
	// Missing lists the environments the writers' catalog names that this evaluator does not hold at or
	// above the catalogued version.
	Missing []int64 `json:"missing_environments"`
}

// Healthy reports whether nothing degrades the evaluator.
func (r *Report) Healthy() bool { return r.Status == "healthy" }

// Environment is one environment served.
type Environment struct {
	ID          int64      `json:"id"`
	ProjectID   int64      `json:"project_id"`
	Version     int64      `json:"version"`
	PublishedAt time.Time  `json:"published_at"`
	CommittedAt *time.Time `json:"committed_at"` // null from writers that predate it
	AppliedAt   time.Time  `json:"applied_at"`
	AgeSeconds  float64    `json:"age_seconds"` // since published_at
	Flags       int        `json:"flags"`
	// Source says where the served version came from: "stream", or "disk" (HALYARD_SNAPSHOT_DIR, at start)
	// until the stream delivers a version at least as new.
	Source string `json:"source"`
}

// Source gathers a Report.
type Source struct {
	Store *store.Store
	Ready func() bool
	NATS  func() NATS
	// Missing lists the catalogued environments not held (natssub.Follower.Missing); nil: none.
	Missing func() []int64
	Now     func() time.Time // default time.Now
}

// Report returns the evaluator's status now.
func (s *Source) Report(context.Context) *Report {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	r := &Report{Status: "healthy", Reasons: []string{}, Ready: s.Ready(), Version: buildinfo.Get(), NATS: s.NATS(),
		Environments: environments(s.Store, now)}
	if !r.NATS.Connected {
		r.Reasons = append(r.Reasons, "NATS disconnected since "+r.NATS.DisconnectedSince.UTC().Format(time.RFC3339)+
			" ("+now.Sub(*r.NATS.DisconnectedSince).Round(time.Second).String()+"); serving the last snapshots")
	}
	r.Missing = []int64{}
	if s.Missing != nil {
		r.Missing = append(r.Missing, s.Missing()...)
	}
	if len(r.Missing) > 0 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d catalogued environments missing or behind (missing_environments)", len(r.Missing)))
	}
	if n := s.Store.FromDisk(); n > 0 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d environments served from the snapshots on disk until the stream delivers them", n))
	}
	if !r.Ready {
		r.Reasons = append(r.Reasons, "not caught up: the initial snapshots from JetStream are not all applied yet")
	}
	if len(r.Reasons) > 0 {
		r.Status = "degraded"
	}
	return r
}

// environments lists what st serves, by id.
func environments(st *store.Store, now time.Time) []Environment {
	all := st.All()
	out := make([]Environment, 0, len(all))
	for _, e := range all {
		env := Environment{ID: e.ID, ProjectID: e.ProjectID, Version: e.Version, PublishedAt: e.PublishedAt.UTC(),
			AppliedAt: e.AppliedAt.UTC(), AgeSeconds: now.Sub(e.PublishedAt).Seconds(), Flags: e.Engine.Len(), Source: e.Source()}
		if ms := e.Snapshot.CommittedAt; ms != 0 {
			t := time.UnixMilli(ms).UTC()
			env.CommittedAt = &t
		}
		out = append(out, env)
	}
	slices.SortFunc(out, func(a, b Environment) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
