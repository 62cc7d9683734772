package store

import (
	"strconv"
	"testing"

	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
)

// benchSnapshot is a small realistic environment: one flag with a condition, an SDK key and a server key.
func benchSnapshot(env, version int64) *wire.Snapshot {
	id := strconv.FormatInt(env, 10)
	pct := 50.0
	return &wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: env, Version: version,
		Keys: []wire.Key{{Kind: wire.KindSDK, Value: "phc_bench_" + id}, {Kind: wire.KindServer, Value: sha("phs_bench_" + id)}},
		Flags: []flag.Flag{{ID: 1, Key: "flag-" + id, Active: true, Version: version, Filters: flag.Filters{
			Groups: []flag.Condition{{RolloutPercentage: &pct, Properties: []flag.Property{
				{Key: "email", Type: "person", Operator: "icontains", Value: "@example.com"}}}}}}}}
}

// BenchmarkColdStart loads 20,000 single-flag environments one at a time into an empty store, as an evaluator
// catching up from JetStream does.
func BenchmarkColdStart(b *testing.B) {
	const n = 20_000
	snaps := make([]*wire.Snapshot, n)
	for i := range snaps {
		snaps[i] = benchSnapshot(int64(i+1), 1)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := New()
		for _, snap := range snaps {
			if !s.Apply(snap) {
				b.Fatal("not applied")
			}
		}
	}
}

// BenchmarkApply is one new version of one environment: it costs the same however many environments the
// store holds.
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{10, 20_000} {
		b.Run("envs="+strconv.Itoa(n), func(b *testing.B) {
			s := New()
			for i := range n {
				s.Apply(benchSnapshot(int64(i+1), 1))
			}
			version := int64(1)
			b.ReportAllocs()
			for b.Loop() {
				version++
				if !s.Apply(benchSnapshot(int64(n/2+1), version)) {
					b.Fatal("not applied")
				}
			}
		})
	}
}
