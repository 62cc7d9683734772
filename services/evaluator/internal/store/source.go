package store

import "github.com/halyard-flags/halyard/shared/wire"

// Where an environment's served version came from.
const (
	SourceStream = "stream" // JetStream: the writers' current publication
	SourceDisk   = "disk"   // a snapshot this evaluator wrote to HALYARD_SNAPSHOT_DIR before it restarted
)

// Source says where the served version came from: SourceDisk until the stream delivers a version at
// least as new, then SourceStream.
func (e *Env) Source() string {
	if e.fromDisk.Load() {
		return SourceDisk
	}
	return SourceStream
}

// ApplyFromDisk is Apply for a snapshot read back from disk at start: the environment serves it, marked
// SourceDisk, until the stream confirms or replaces it.
func (s *Store) ApplyFromDisk(snap *wire.Snapshot) bool {
	return s.apply(snap, true)
}

// Confirm marks the environment's served version as the stream's when the stream delivered version and the
// store already held it from disk, which Apply refused as not newer. It reports whether it did: false when
// the environment is not from disk or holds a newer version than the stream's.
func (s *Store) Confirm(envID, version int64) bool {
	e, ok := s.byID.load(envID)
	if !ok || e.Version != version {
		return false
	}
	return e.fromDisk.CompareAndSwap(true, false)
}

// FromDisk counts the environments served from disk, not confirmed by the stream yet.
func (s *Store) FromDisk() int {
	n := 0
	s.byID.all(func(_ int64, e *Env) {
		if e.fromDisk.Load() {
			n++
		}
	})
	return n
}
