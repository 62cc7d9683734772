package natssub

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
	"go.uber.org/zap/zaptest"
)

// TestPreload: a store filled from disk makes the follower ready before it reads anything from the stream
// only with a catalog whose every environment it holds at or above the catalogued version.
func TestPreload(t *testing.T) {
	tests := []struct {
		name        string
		catalog     map[int64]int64 // nil: no catalog on disk
		wantReady   bool
		wantMissing []int64
	}{
		{"no catalog", nil, false, nil},
		{"every environment held", map[int64]int64{1: 2, 2: 5}, true, nil},
		{"held above the catalogued versions", map[int64]int64{1: 1, 2: 4}, true, nil},
		{"an environment missing", map[int64]int64{1: 2, 2: 5, 3: 1}, false, []int64{3}},
		{"an environment behind", map[int64]int64{1: 3, 2: 5}, false, []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := store.New()
			st.ApplyFromDisk(snapshot(1, 2))
			st.ApplyFromDisk(snapshot(2, 5))
			f := New(nil, testStream, testPrefix, st, zaptest.NewLogger(t))
			var cat *wire.Catalog
			if tt.catalog != nil {
				cat = &wire.Catalog{Format: wire.FormatVersion, Versions: tt.catalog}
			}
			if got := f.Preload(cat); got != tt.wantReady || f.CaughtUp.Load() != tt.wantReady {
				t.Errorf("Preload = %v, CaughtUp = %v; want %v", got, f.CaughtUp.Load(), tt.wantReady)
			}
			if diff := cmp.Diff(tt.wantMissing, f.Missing()); diff != "" {
				t.Errorf("Missing mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStreamTakesOverFromDisk: a follower started while NATS is down, on a store filled from disk, is ready
// at once; when NATS comes up, a version the stream delivers equal to the disk's makes it the stream's
// without a rejection, a newer one replaces it, an older one is refused and the disk's stays served until
// the stream has a newer one; every catalog taken is handed on to be persisted.
func TestStreamTakesOverFromDisk(t *testing.T) {
	natsPort := freePort(t)
	js := connect(t, natsPort) // nothing answers there yet
	st := store.New()
	st.ApplyFromDisk(snapshot(1, 2))
	st.ApplyFromDisk(snapshot(2, 5))
	var mu sync.Mutex
	var catalogs []map[int64]int64
	f := &follower{st: st}
	f.Follower = New(js, testStream, testPrefix, st, zaptest.NewLogger(t), OnApplied(f.onApplied), Observe(recorder{f}),
		OnCatalog(func(c *wire.Catalog) { mu.Lock(); catalogs = append(catalogs, c.Versions); mu.Unlock() }))
	if !f.Preload(&wire.Catalog{Format: wire.FormatVersion, Versions: map[int64]int64{1: 2, 2: 5}}) {
		t.Fatal("not ready from disk")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	startNATS(t, natsPort)
	createStream(t, js)
	publish(t, js, snapshot(1, 2)) // the disk's version
	publish(t, js, snapshot(2, 4)) // older than the disk's
	publish(t, js, snapshot(3, 1)) // not on disk
	publishCatalog(t, js, map[int64]int64{1: 2, 2: 4, 3: 1})
	f.waitVersion(t, 3, 1)
	waitCond(t, "the stream to confirm environment 1", func() error {
		if got := sources(st); got[1] != store.SourceStream {
			return fmt.Errorf("sources %v", got)
		}
		return nil
	})
	waitCond(t, "environment 2's older snapshot to be refused", func() error {
		if got := f.rejections(); len(got) == 0 {
			return fmt.Errorf("no rejection yet")
		}
		return nil
	})
	want := map[int64]string{1: store.SourceStream, 2: store.SourceDisk, 3: store.SourceStream}
	if diff := cmp.Diff(want, sources(st)); diff != "" {
		t.Errorf("sources mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{RejectOlder}, f.rejections()); diff != "" {
		t.Errorf("rejections mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int64]int64{1: 2, 2: 5, 3: 1}, f.versions()); diff != "" {
		t.Errorf("versions mismatch (-want +got):\n%s", diff)
	}

	publish(t, js, snapshot(2, 6))
	f.waitVersion(t, 2, 6)
	if got := sources(st)[2]; got != store.SourceStream {
		t.Errorf("environment 2 at v6 from the stream has source %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]map[int64]int64{{1: 2, 2: 4, 3: 1}}, catalogs); diff != "" {
		t.Errorf("catalogs handed on mismatch (-want +got):\n%s", diff)
	}
}

func sources(st *store.Store) map[int64]string {
	out := map[int64]string{}
	for _, e := range st.All() {
		out[e.ID] = e.Source()
	}
	return out
}

// freePort is a TCP port nothing listens on now.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
