package snapdir

import (
	"fmt"
	"testing"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/flag"
	"go.uber.org/zap"
)

// bigStore holds one environment of n flags at version 1.
func bigStore(n int) *store.Store {
	snap := snapshot(1, 1)
	all := 50.0
	snap.Flags = nil
	for i := range n {
		snap.Flags = append(snap.Flags, flag.Flag{ID: int64(i + 1), Key: fmt.Sprintf("flag-%d", i), Active: true, Version: 1,
			Filters: flag.Filters{Groups: []flag.Condition{{Properties: []flag.Property{{Key: "email", Type: "person",
				Operator: "icontains", Value: "@example.com"}}, RolloutPercentage: &all}}}})
	}
	st := store.New()
	st.Apply(snap)
	return st
}

// BenchmarkWrite: one environment of 1,000 flags written (encode, frame, write, fsync, rename, directory
// fsync), as the writer does for each version it persists.
func BenchmarkWrite(b *testing.B) {
	st := bigStore(1000)
	d, err := Open(b.TempDir(), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	changes := []store.Change{{EnvironmentID: 1, Version: 1}}
	b.ReportAllocs()
	for b.Loop() {
		delete(d.written, 1)
		d.flush(st, changes)
	}
}

// BenchmarkLoad: one environment of 1,000 flags read back, checked, decoded and compiled at start.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	d, err := Open(dir, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	d.flush(bigStore(1000), []store.Change{{EnvironmentID: 1, Version: 1}})
	b.ReportAllocs()
	for b.Loop() {
		d.Load(store.New())
	}
}
