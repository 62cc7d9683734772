package store

import (
	"time"

	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/halyard-flags/halyard/shared/wire"
)

// Apply compiles the snapshot and swaps it in if it is newer than what the store holds for its environment.
// It reports whether it did. Concurrent applies are safe; the newest version wins.
func (s *Store) Apply(snap *wire.Snapshot) bool {
	return s.apply(snap, false)
}

func (s *Store) apply(snap *wire.Snapshot, fromDisk bool) bool {
	// A cheap check first, so an old snapshot (a redelivery, a replay at start) is not compiled for nothing.
	if cur, ok := s.byID.load(snap.EnvironmentID); ok && cur.Version >= snap.Version {
		return false
	}
	env := &Env{
		ID: snap.EnvironmentID, ProjectID: snap.ProjectID, Version: snap.Version,
		PublishedAt: time.UnixMilli(snap.PublishedAt), Snapshot: snap,
		Engine: eval.Compile(eval.Definitions{Flags: snap.Flags, Cohorts: snap.Cohorts, GroupTypes: snap.GroupTypes}),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byID.load(env.ID)
	if ok && old.Version >= env.Version {
		return false // a newer version was applied while this one compiled
	}
	env.AppliedAt = s.now()
	env.fromDisk.Store(fromDisk)
	s.swap(old, env)
	s.feed.publish(Change{EnvironmentID: env.ID, Version: env.Version})
	return true
}

// swap stores env in place of old (nil for a new environment): its entry, then its keys, then drops old's
// keys that env no longer has. Every step is one atomic store, so a concurrent reader finds a key's
// environment either before or after the apply, never a partial Env. Writers only.
func (s *Store) swap(old, env *Env) {
	s.byID.store(env.ID, env)
	for _, k := range env.Snapshot.Keys {
		s.byKey.store(k.Value, credential{env: env, kind: k.Kind, expiresAt: k.ExpiresAt})
	}
	if old == nil {
		return
	}
	for _, k := range old.Snapshot.Keys {
		// Still old's: env does not have it. Another environment's now: it moved there, leave it.
		if c, ok := s.byKey.load(k.Value); ok && c.env == old {
			s.byKey.delete(k.Value)
		}
	}
}
