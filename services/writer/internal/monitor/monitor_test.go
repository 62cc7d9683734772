package monitor

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/services/writer/internal/publisher"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeOutbox answers the backlog query from memory and counts the queries.
type fakeOutbox struct {
	reads atomic.Int64
	fail  atomic.Bool
}

func (f *fakeOutbox) Backlog(context.Context) (postgres.Backlog, error) {
	f.reads.Add(1)
	if f.fail.Load() {
		return postgres.Backlog{}, errors.New("connection refused")
	}
	return postgres.Backlog{Pending: 3, OldestAge: 1500 * time.Millisecond}, nil
}

// TestBacklogCollector: however often it is scraped, PostgreSQL is asked at most once a second; the
// outbox gauges are left out while it does not answer, and halyard_postgres_up says so.
func TestBacklogCollector(t *testing.T) {
	f := &fakeOutbox{}
	b := newBacklog(f.Backlog)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(b)
	for range 50 {
		if got := testutil.CollectAndCount(b); got != 3 {
			t.Fatalf("collected %d metrics; want 3", got)
		}
	}
	if got := f.reads.Load(); got != 1 {
		t.Errorf("50 scrapes read the backlog %d times; want once", got)
	}
	if got, _ := b.get(); got.Pending != 3 {
		t.Errorf("pending %d; want 3", got.Pending)
	}

	f.fail.Store(true)
	deadline := time.Now().Add(5 * time.Second)
	for testutil.CollectAndCount(b) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the failure was not read again within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := f.reads.Load(); got != 2 {
		t.Errorf("read the backlog %d times; want twice (once a second)", got)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP halyard_postgres_up 1 when the last read of the outbox's backlog (at most one per second) succeeded, else 0.
# TYPE halyard_postgres_up gauge
halyard_postgres_up 0
`)); err != nil {
		t.Error(err)
	}
	if msg, at := b.lastError(); msg != "connection refused" || at.IsZero() {
		t.Errorf("lastError() = %q, %v; want the failure and its time", msg, at)
	}
}

// TestPublishing: the observer counts attempts, failures by reason and published snapshots, and measures
// commit-to-publish only when the commit time is known.
func TestPublishing(t *testing.T) {
	p := newPublishing()
	acked := time.Now()
	p.Attempted()
	p.Failed(publisher.ReasonTimeout)
	p.Attempted()
	p.Published(publisher.Publication{EnvironmentID: 1, Version: 2, Bytes: 2048, Took: 5 * time.Millisecond,
		CommittedAt: acked.Add(-300 * time.Millisecond), Acked: acked})
	p.Attempted()
	p.Published(publisher.Publication{EnvironmentID: 1, Version: 3, Bytes: 4096, Took: 5 * time.Millisecond, Acked: acked})

	got := map[string]float64{
		"attempts":          testutil.ToFloat64(p.attempts),
		"timeouts":          testutil.ToFloat64(p.failures.WithLabelValues(publisher.ReasonTimeout)),
		"database":          testutil.ToFloat64(p.failures.WithLabelValues(publisher.ReasonDatabase)),
		"published":         testutil.ToFloat64(p.published),
		"failure reasons":   float64(testutil.CollectAndCount(p.failures)),
		"commit_to_publish": float64(histogramCount(t, p.commitToPublish)),
		"bytes":             float64(histogramCount(t, p.bytes)),
	}
	want := map[string]float64{"attempts": 3, "timeouts": 1, "database": 0, "published": 2, "failure reasons": 5,
		"commit_to_publish": 1, "bytes": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("publishing metrics mismatch (-want +got):\n%s", diff)
	}
	if !p.lastPublished().Equal(acked) {
		t.Errorf("lastPublished() = %v; want %v", p.lastPublished(), acked)
	}
}

func histogramCount(tb testing.TB, h prometheus.Histogram) uint64 {
	tb.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	families, err := reg.Gather()
	if err != nil || len(families) != 1 {
		tb.Fatalf("gather: %v", err)
	}
	return families[0].GetMetric()[0].GetHistogram().GetSampleCount()
}
