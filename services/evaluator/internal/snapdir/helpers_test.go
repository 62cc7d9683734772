package snapdir

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// snapshot is an environment at a version with one flag named after the version.
func snapshot(env, version int64) *wire.Snapshot {
	return &wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: env, Version: version,
		PublishedAt: time.Now().UnixMilli(), Keys: []wire.Key{{Kind: wire.KindSDK, Value: fmt.Sprintf("sdk-%d", env)}},
		Flags: []flag.Flag{{ID: 1, Key: fmt.Sprintf("v%d", version), Active: true, Version: 1}}}
}

// counts records what a Dir tells its Observer.
type counts struct {
	mu              sync.Mutex
	loaded, written int
	failed          map[string]int
}

func newCounts() *counts { return &counts{failed: map[string]int{}} }

func (c *counts) Loaded()  { c.mu.Lock(); c.loaded++; c.mu.Unlock() }
func (c *counts) Written() { c.mu.Lock(); c.written++; c.mu.Unlock() }
func (c *counts) Failed(reason string) {
	c.mu.Lock()
	c.failed[reason]++
	c.mu.Unlock()
}

func (c *counts) get() (loaded, written int, failed map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := map[string]int{}
	for k, v := range c.failed {
		f[k] = v
	}
	return c.loaded, c.written, f
}

// open opens dir with a fresh counter, failing the test on an error.
func open(tb testing.TB, dir string, log *zap.Logger) (*Dir, *counts) {
	tb.Helper()
	if log == nil {
		log = zaptest.NewLogger(tb)
	}
	c := newCounts()
	d, err := Open(dir, log, Observe(c))
	if err != nil {
		tb.Fatal(err)
	}
	return d, c
}

// run runs d's writer on st until the returned stop is called (or the test ends); stop waits for Run's
// final flush.
func run(tb testing.TB, d *Dir, st *store.Store) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx, st); err != nil {
			tb.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	tb.Cleanup(stop)
	return stop
}

// versions is every environment's version in st.
func versions(st *store.Store) map[int64]int64 {
	out := map[int64]int64{}
	for _, e := range st.All() {
		out[e.ID] = e.Version
	}
	return out
}

// waitFor polls cond until it returns nil, failing the test with its last error after 15 seconds.
func waitFor(tb testing.TB, what string, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// onDisk is the version of environment id's file as a fresh Dir reads it (0 when there is none).
func onDisk(tb testing.TB, dir string, id int64) int64 {
	tb.Helper()
	snap, err := readSnapshot((&Dir{path: dir}).envFile(id), id)
	if err != nil {
		return 0
	}
	return snap.Version
}
