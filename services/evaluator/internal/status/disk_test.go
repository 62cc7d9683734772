package status

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
)

// TestReportFromDisk: an environment loaded from disk says so in its source, and the report is degraded
// until the stream delivers it again.
func TestReportFromDisk(t *testing.T) {
	st := store.New()
	st.ApplyFromDisk(&wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: 1, Version: 4, PublishedAt: t0.UnixMilli()})
	st.ApplyFromDisk(&wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: 2, Version: 2, PublishedAt: t0.UnixMilli()})
	st.Apply(&wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: 3, Version: 1, PublishedAt: t0.UnixMilli()})
	down := t0.Add(-time.Minute)
	src := &Source{Store: st, Ready: func() bool { return true }, NATS: func() NATS { return NATS{DisconnectedSince: &down} },
		Now: func() time.Time { return t0 }}
	report := func() ([]string, map[int64]string) {
		r := src.Report(context.Background())
		sources := map[int64]string{}
		for _, e := range r.Environments {
			sources[e.ID] = e.Source
		}
		return r.Reasons, sources
	}
	reasons, sources := report()
	want := []string{"NATS disconnected since 2026-12-01T11:59:00Z (1m0s); serving the last snapshots",
		"2 environments served from the snapshots on disk until the stream delivers them"}
	if diff := cmp.Diff(want, reasons); diff != "" {
		t.Errorf("reasons mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int64]string{1: "disk", 2: "disk", 3: "stream"}, sources); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}

	st.Confirm(1, 4)
	st.Apply(&wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: 2, Version: 3, PublishedAt: t0.UnixMilli()})
	src.NATS = func() NATS { return NATS{Connected: true} }
	reasons, sources = report()
	if diff := cmp.Diff([]string{}, reasons); diff != "" {
		t.Errorf("reasons once the stream delivered everything mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int64]string{1: "stream", 2: "stream", 3: "stream"}, sources); diff != "" {
		t.Errorf("sources once the stream delivered everything mismatch (-want +got):\n%s", diff)
	}
}
