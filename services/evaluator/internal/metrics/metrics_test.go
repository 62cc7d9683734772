package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/natssub"
	"github.com/halyard-flags/halyard/services/evaluator/internal/snapdir"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// TestSnapshots: applies and rejections are counted; replication lag is observed from the commit (when the
// snapshot says) and the publish, for live snapshots only.
func TestSnapshots(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := NewSnapshots(reg)
	s.now = func() time.Time { return t0 }
	ms := func(d time.Duration) int64 { return t0.Add(-d).UnixMilli() }
	s.Applied(&wire.Snapshot{PublishedAt: ms(time.Hour), CommittedAt: ms(time.Hour)}, time.Millisecond, true)
	s.Applied(&wire.Snapshot{PublishedAt: ms(20 * time.Millisecond), CommittedAt: ms(30 * time.Millisecond)}, 3*time.Millisecond, false)
	s.Applied(&wire.Snapshot{PublishedAt: ms(2 * time.Second)}, 2*time.Millisecond, false)
	for _, r := range []string{natssub.RejectOlder, natssub.RejectOlder, natssub.RejectWrongEnvironment, "unknown"} {
		s.Rejected(r)
	}
	want := `
# HELP halyard_snapshots_applied_total Snapshots applied (decoded, compiled and swapped in).
# TYPE halyard_snapshots_applied_total counter
halyard_snapshots_applied_total 3
# HELP halyard_snapshots_rejected_total Snapshots not applied, by reason: decode, format_version, older, wrong_environment, signature, incomplete, integrity.
# TYPE halyard_snapshots_rejected_total counter
halyard_snapshots_rejected_total{reason="decode"} 0
halyard_snapshots_rejected_total{reason="format_version"} 0
halyard_snapshots_rejected_total{reason="incomplete"} 0
halyard_snapshots_rejected_total{reason="integrity"} 0
halyard_snapshots_rejected_total{reason="older"} 2
halyard_snapshots_rejected_total{reason="signature"} 0
halyard_snapshots_rejected_total{reason="wrong_environment"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "halyard_snapshots_applied_total", "halyard_snapshots_rejected_total"); err != nil {
		t.Error(err)
	}
	counts := map[string]uint64{}
	sums := map[string]float64{}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				key := mf.GetName()
				for _, l := range m.GetLabel() {
					key += "/" + l.GetValue()
				}
				counts[key], sums[key] = h.GetSampleCount(), h.GetSampleSum()
			}
		}
	}
	for key, want := range map[string]struct {
		n   uint64
		sum float64
	}{
		"halyard_snapshot_apply_duration_seconds":          {3, 0.006},
		"halyard_replication_lag_seconds/commit_to_apply":  {1, 0.030},
		"halyard_replication_lag_seconds/publish_to_apply": {2, 2.020},
	} {
		if counts[key] != want.n || sums[key] < want.sum-1e-9 || sums[key] > want.sum+1e-9 {
			t.Errorf("%s: %d observations summing to %v; want %d, %v", key, counts[key], sums[key], want.n, want.sum)
		}
	}
}

// TestStore: the environments the store serves, read at scrape time.
func TestStore(t *testing.T) {
	st := store.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(newStoreCollector(st, func() time.Time { return t0 }))
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP halyard_environments Environments served.
# TYPE halyard_environments gauge
halyard_environments 0
`)); err != nil {
		t.Error(err)
	}
	st.Apply(&wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: 7, Version: 3, PublishedAt: t0.Add(-90 * time.Second).UnixMilli()})
	st.Apply(&wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: 12, Version: 41, PublishedAt: t0.Add(-1500 * time.Millisecond).UnixMilli()})
	want := `
# HELP halyard_environments Environments served.
# TYPE halyard_environments gauge
halyard_environments 2
# HELP halyard_snapshot_age_seconds Time since the served snapshot was published, by environment id.
# TYPE halyard_snapshot_age_seconds gauge
halyard_snapshot_age_seconds{environment="12"} 1.5
halyard_snapshot_age_seconds{environment="7"} 90
# HELP halyard_snapshot_version Version of the snapshot served, by environment id.
# TYPE halyard_snapshot_version gauge
halyard_snapshot_version{environment="12"} 41
halyard_snapshot_version{environment="7"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "halyard_environments", "halyard_snapshot_version", "halyard_snapshot_age_seconds"); err != nil {
		t.Error(err)
	}
	e, _ := st.ByID(7)
	if got, want := gauge(t, reg, "halyard_snapshot_last_apply_timestamp_seconds", "7"), float64(e.AppliedAt.UnixNano())/1e9; got != want {
		t.Errorf("last apply of environment 7 = %v, want %v", got, want)
	}
}

// gauge is the value of the gauge name whose one label is label.
func gauge(tb testing.TB, g prometheus.Gatherer, name, label string) float64 {
	tb.Helper()
	mfs, err := g.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == name && m.GetLabel()[0].GetValue() == label {
				return m.GetGauge().GetValue()
			}
		}
	}
	tb.Fatalf("no %s{%s}", name, label)
	return 0
}

type fakeConn struct {
	connected  bool
	reconnects uint64
}

func (c *fakeConn) IsConnected() bool      { return c.connected }
func (c *fakeConn) Stats() nats.Statistics { return nats.Statistics{Reconnects: c.reconnects} }

// TestNATSAndReady: the connection's state and readiness, read at scrape time.
func TestNATSAndReady(t *testing.T) {
	reg := prometheus.NewRegistry()
	nc := &fakeConn{connected: true}
	ready := false
	RegisterNATS(reg, nc)
	RegisterReady(reg, func() bool { return ready })
	names := []string{"halyard_nats_connected", "halyard_nats_reconnects_total", "halyard_ready"}
	text := func(connected, reconnects, ready int) string {
		return fmt.Sprintf(`
# HELP halyard_nats_connected 1 while connected to NATS, else 0.
# TYPE halyard_nats_connected gauge
halyard_nats_connected %d
# HELP halyard_nats_reconnects_total Reconnections to NATS since the process started.
# TYPE halyard_nats_reconnects_total counter
halyard_nats_reconnects_total %d
# HELP halyard_ready 1 while the process is ready for traffic (/readyz answers 200), else 0.
# TYPE halyard_ready gauge
halyard_ready %d
`, connected, reconnects, ready)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(text(1, 0, 0)), names...); err != nil {
		t.Error(err)
	}
	nc.connected, nc.reconnects, ready = false, 2, true
	if err := testutil.GatherAndCompare(reg, strings.NewReader(text(0, 2, 1)), names...); err != nil {
		t.Error(err)
	}
}

// TestDisk: the snapshot directory's loads, writes and failures by reason are counted, and the
// environments served from disk read at scrape time.
func TestDisk(t *testing.T) {
	reg := prometheus.NewRegistry()
	fromDisk := 2
	d := NewDisk(reg, func() int { return fromDisk })
	d.Loaded()
	d.Loaded()
	d.Written()
	for _, r := range []string{snapdir.ReasonCorrupt, snapdir.ReasonWrite, snapdir.ReasonWrite, "unknown"} {
		d.Failed(r)
	}
	want := `
# HELP halyard_environments_from_disk Environments served from HALYARD_SNAPSHOT_DIR that the stream has not delivered again yet.
# TYPE halyard_environments_from_disk gauge
halyard_environments_from_disk 2
# HELP halyard_snapshot_disk_failures_total Snapshot files not written or not used, by reason: write, read, corrupt, format, wrong_environment.
# TYPE halyard_snapshot_disk_failures_total counter
halyard_snapshot_disk_failures_total{reason="corrupt"} 1
halyard_snapshot_disk_failures_total{reason="format"} 0
halyard_snapshot_disk_failures_total{reason="read"} 0
halyard_snapshot_disk_failures_total{reason="write"} 2
halyard_snapshot_disk_failures_total{reason="wrong_environment"} 0
# HELP halyard_snapshot_disk_writes_total Files (snapshots and the catalog) written to HALYARD_SNAPSHOT_DIR.
# TYPE halyard_snapshot_disk_writes_total counter
halyard_snapshot_disk_writes_total 1
# HELP halyard_snapshots_loaded_from_disk_total Snapshots read back from HALYARD_SNAPSHOT_DIR and applied at start.
# TYPE halyard_snapshots_loaded_from_disk_total counter
halyard_snapshots_loaded_from_disk_total 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
