package store

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

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

func TestApplyKeepsOnlyNewerVersions(t *testing.T) {
	s := New()
	keys := []wire.Key{{Kind: wire.KindSDK, Value: "phc_a"}}
	if !s.Apply(snapshot(1, 2, keys, "a", "b")) {
		t.Fatal("first snapshot not applied")
	}
	if s.Apply(snapshot(1, 1, keys, "old")) {
		t.Error("an older version was applied")
	}
	if s.Apply(snapshot(1, 2, keys, "same")) {
		t.Error("the same version was applied twice")
	}
	env, ok := s.BySDKKey("phc_a")
	if !ok || env.Version != 2 || env.Engine.Len() != 2 {
		t.Fatalf("BySDKKey = %+v, %v; want version 2 with 2 flags", env, ok)
	}
	if !s.Apply(snapshot(1, 3, keys, "c")) {
		t.Fatal("newer version not applied")
	}
	if env, _ := s.BySDKKey("phc_a"); env.Version != 3 || env.Engine.Len() != 1 {
		t.Errorf("after v3: version %d with %d flags", env.Version, env.Engine.Len())
	}
}

func TestKeysFollowTheSnapshot(t *testing.T) {
	s := New()
	now := time.UnixMilli(1_000_000)
	s.now = func() time.Time { return now }
	s.Apply(snapshot(1, 1, []wire.Key{{Kind: wire.KindSDK, Value: "phc_old"}, {Kind: wire.KindServer, Value: sha("phs_secret")}}))
	s.Apply(snapshot(2, 1, []wire.Key{{Kind: wire.KindSDK, Value: "phc_other"}}))

	if _, ok := s.ByServerKey("phs_secret"); !ok {
		t.Error("server key not found by its clear value")
	}
	if _, ok := s.BySDKKey(sha("phs_secret")); ok {
		t.Error("a server key digest worked as an SDK key")
	}
	if _, ok := s.ByServerKey("phc_old"); ok {
		t.Error("an SDK key worked as a server key")
	}

	// Rotation: v2 keeps the old key until a deadline and adds a new one.
	s.Apply(snapshot(1, 2, []wire.Key{{Kind: wire.KindSDK, Value: "phc_old", ExpiresAt: now.UnixMilli() + 1000}, {Kind: wire.KindSDK, Value: "phc_new"}}))
	if _, ok := s.BySDKKey("phc_old"); !ok {
		t.Error("old key refused during its grace period")
	}
	if _, ok := s.ByServerKey("phs_secret"); ok {
		t.Error("a key dropped from the snapshot still works")
	}
	now = now.Add(2 * time.Second)
	if _, ok := s.BySDKKey("phc_old"); ok {
		t.Error("old key still works after its grace period")
	}
	if e, ok := s.BySDKKey("phc_new"); !ok || e.ID != 1 {
		t.Error("new key not found")
	}
	if e, ok := s.BySDKKey("phc_other"); !ok || e.ID != 2 {
		t.Error("another environment's key was lost when environment 1 changed")
	}
	if len(s.All()) != 2 {
		t.Errorf("All() = %d environments, want 2", len(s.All()))
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
