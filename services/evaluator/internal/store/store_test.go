package store

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
)

func snapshot(env, version int64, keys []wire.Key, flagKeys ...string) *wire.Snapshot {
	s := &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: env, Version: version, Keys: keys}
	for i, k := range flagKeys {
		s.Flags = append(s.Flags, flag.Flag{ID: int64(i + 1), Key: k, Active: true, Version: 1})
	}
	return s
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sdk(v string) wire.Key    { return wire.Key{Kind: wire.KindSDK, Value: v} }
func server(v string) wire.Key { return wire.Key{Kind: wire.KindServer, Value: sha(v)} }

func TestApplyKeepsOnlyNewerVersions(t *testing.T) {
	type apply struct {
		env, version int64
		flags        []string
		want         bool
	}
	tests := []struct {
		name    string
		applies []apply
		want    map[int64][2]int64 // environment → {version, number of flags}
	}{
		{"first version", []apply{{1, 2, []string{"a", "b"}, true}}, map[int64][2]int64{1: {2, 2}}},
		{"older refused", []apply{{1, 2, []string{"a", "b"}, true}, {1, 1, []string{"old"}, false}}, map[int64][2]int64{1: {2, 2}}},
		{"equal refused", []apply{{1, 2, []string{"a", "b"}, true}, {1, 2, []string{"same"}, false}}, map[int64][2]int64{1: {2, 2}}},
		{"newer applied", []apply{{1, 2, []string{"a", "b"}, true}, {1, 3, []string{"c"}, true}}, map[int64][2]int64{1: {3, 1}}},
		{"versions skipped", []apply{{1, 1, nil, true}, {1, 7, []string{"a"}, true}, {1, 5, nil, false}}, map[int64][2]int64{1: {7, 1}}},
		{"environments independent", []apply{{1, 5, []string{"a"}, true}, {2, 1, []string{"b", "c"}, true}, {2, 2, nil, true}, {1, 4, nil, false}},
			map[int64][2]int64{1: {5, 1}, 2: {2, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			for i, a := range tt.applies {
				if got := s.Apply(snapshot(a.env, a.version, nil, a.flags...)); got != a.want {
					t.Errorf("apply %d (env %d v%d) = %v, want %v", i, a.env, a.version, got, a.want)
				}
			}
			got := map[int64][2]int64{}
			for _, e := range s.All() {
				got[e.ID] = [2]int64{e.Version, int64(e.Engine.Len())}
				if byID, ok := s.ByID(e.ID); !ok || byID != e {
					t.Errorf("ByID(%d) = %p, %v; All has %p", e.ID, byID, ok, e)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("store mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyFillsEnv(t *testing.T) {
	s := New()
	applied := time.UnixMilli(5_000)
	s.now = func() time.Time { return applied }
	snap := snapshot(3, 4, nil, "a")
	snap.ProjectID, snap.PublishedAt = 9, 4_000
	s.Apply(snap)
	e, ok := s.ByID(3)
	if !ok {
		t.Fatal("environment 3 not found")
	}
	got := struct {
		ID, ProjectID, Version int64
		PublishedAt, AppliedAt time.Time
		Snapshot               bool
		Flags                  int
	}{e.ID, e.ProjectID, e.Version, e.PublishedAt, e.AppliedAt, e.Snapshot == snap, e.Engine.Len()}
	want := got
	want.ID, want.ProjectID, want.Version, want.PublishedAt, want.AppliedAt, want.Snapshot, want.Flags = 3, 9, 4, time.UnixMilli(4_000), applied, true, 1
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Env mismatch (-want +got):\n%s", diff)
	}
	if _, ok := s.ByID(4); ok {
		t.Error("ByID found an environment never applied")
	}
}

func BenchmarkBySDKKey(b *testing.B) {
	s := New()
	for i := range 100 {
		s.Apply(snapshot(int64(i+1), 1, []wire.Key{{Kind: wire.KindSDK, Value: "phc_" + string(rune('a'+i%26)) + string(rune('a'+i/26))}}))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.BySDKKey("phc_ab"); !ok {
			b.Fatal("not found")
		}
	}
}
