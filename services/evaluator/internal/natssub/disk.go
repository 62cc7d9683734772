package natssub

import (
	"github.com/halyard-flags/halyard/shared/wire"
	"go.uber.org/zap"
)

// OnCatalog has fn called with every catalog the follower takes (to persist it: snapdir.Dir.SaveCatalog).
func OnCatalog(fn func(*wire.Catalog)) Option {
	return func(f *Follower) { f.onCatalog = fn }
}

// Preload tells the follower that the store was filled from disk before Run, and that c (nil: none) was
// the last catalog seen then. Like a catalog read from the stream, c decides readiness: the follower is
// ready at once if the store holds every environment c lists at or above its version. A catalog from the
// stream replaces it. Preload reports whether the follower is ready.
func (f *Follower) Preload(c *wire.Catalog) bool {
	if c == nil {
		return f.CaughtUp.Load()
	}
	f.catalog.CompareAndSwap(nil, c)
	if missing := f.Missing(); len(missing) > 0 {
		f.log.Warn("not ready from disk: the last catalog seen lists environments the directory does not hold",
			zap.Int64s("missing", missing))
		return f.CaughtUp.Load()
	}
	if f.CaughtUp.CompareAndSwap(false, true) {
		f.log.Info("ready from disk: every environment of the last catalog seen is held; following the stream when it can be reached",
			zap.Int("environments", len(f.store.All())))
	}
	return true
}

// confirmed reports whether the store held this very version from disk, which the stream now confirms
// (store.Confirm): not a rejection.
func (f *Follower) confirmed(snap *wire.Snapshot) bool {
	if !f.store.Confirm(snap.EnvironmentID, snap.Version) {
		return false
	}
	f.log.Debug("the stream confirms the version loaded from disk", zap.Int64("environment", snap.EnvironmentID),
		zap.Int64("version", snap.Version))
	return true
}
