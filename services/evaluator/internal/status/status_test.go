package status

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// TestReport: healthy while connected and caught up, degraded with every reason otherwise; the
// environments by id.
func TestReport(t *testing.T) {
	st := store.New()
	st.Apply(&wire.Snapshot{Format: wire.FormatVersion, ProjectID: 2, EnvironmentID: 12, Version: 5,
		PublishedAt: t0.Add(-90 * time.Second).UnixMilli(), CommittedAt: t0.Add(-91 * time.Second).UnixMilli(),
		Flags: []flag.Flag{{Key: "a", Active: true}, {Key: "b"}}})
	st.Apply(&wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: 3, Version: 1, PublishedAt: t0.Add(-time.Second).UnixMilli()})
	down := t0.Add(-2 * time.Minute)
	tests := []struct {
		name        string
		ready       bool
		nats        NATS
		missing     []int64
		wantStatus  string
		wantReasons []string
	}{
		{name: "healthy", ready: true, nats: NATS{Connected: true}, wantStatus: "healthy", wantReasons: []string{}},
		{name: "NATS down", ready: true, nats: NATS{DisconnectedSince: &down}, wantStatus: "degraded",
			wantReasons: []string{"NATS disconnected since 2026-12-01T11:58:00Z (2m0s); serving the last snapshots"}},
		{name: "catching up", nats: NATS{Connected: true}, wantStatus: "degraded",
			wantReasons: []string{"not caught up: the initial snapshots from JetStream are not all applied yet"}},
		{name: "catalogued environments missing", nats: NATS{Connected: true}, missing: []int64{7, 9}, wantStatus: "degraded",
			wantReasons: []string{"2 catalogued environments missing or behind (missing_environments)",
				"not caught up: the initial snapshots from JetStream are not all applied yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &Source{Store: st, Ready: func() bool { return tt.ready }, NATS: func() NATS { return tt.nats },
				Now: func() time.Time { return t0 }, Missing: func() []int64 { return tt.missing }}
			r := src.Report(context.Background())
			e12, _ := st.ByID(12)
			e3, _ := st.ByID(3)
			committed := time.UnixMilli(t0.Add(-91 * time.Second).UnixMilli()).UTC()
			want := &Report{Status: tt.wantStatus, Reasons: tt.wantReasons, Ready: tt.ready, Version: buildinfo.Get(), NATS: tt.nats,
				Missing: append([]int64{}, tt.missing...),
				Environments: []Environment{
					{ID: 3, ProjectID: 1, Version: 1, PublishedAt: t0.Add(-time.Second), AppliedAt: e3.AppliedAt.UTC(), AgeSeconds: 1, Flags: 0, Source: "stream"},
					{ID: 12, ProjectID: 2, Version: 5, PublishedAt: t0.Add(-90 * time.Second), CommittedAt: &committed, AppliedAt: e12.AppliedAt.UTC(),
						AgeSeconds: 90, Flags: 2, Source: "stream"},
				}}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("report mismatch (-want +got):\n%s", diff)
			}
			if r.Healthy() != (tt.wantStatus == "healthy") {
				t.Errorf("Healthy() = %t with status %s", r.Healthy(), r.Status)
			}
		})
	}
}
