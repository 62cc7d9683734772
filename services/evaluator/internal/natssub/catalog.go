package natssub

import (
	"slices"

	"github.com/halyard-flags/halyard/shared/wire"
	"go.uber.org/zap"
)

// isCatalog reports whether subject is the writers' catalog.
func (f *Follower) isCatalog(subject string) bool {
	return subject == f.subjectPrefix+"."+wire.CatalogSubject
}

// takeCatalog keeps the newest readable catalog. An unreadable one is logged and ignored: the last good one
// (or none) stays.
func (f *Follower) takeCatalog(data []byte) {
	c, err := wire.DecodeCatalog(data)
	if err != nil {
		f.log.Warn("ignoring an unreadable catalog", zap.Error(err))
		return
	}
	f.catalog.Store(c)
	if f.onCatalog != nil {
		f.onCatalog(c)
	}
}

// Missing lists the catalogued environments the store does not hold at or above the catalog's version for
// them, by id (none before a catalog was read).
func (f *Follower) Missing() []int64 {
	c := f.catalog.Load()
	if c == nil {
		return nil
	}
	var out []int64
	for env, version := range c.Versions {
		if e, ok := f.store.ByID(env); !ok || e.Version < version {
			out = append(out, env)
		}
	}
	slices.Sort(out)
	return out
}

// checkReady sets CaughtUp once the stream's snapshots present at start are applied and every catalogued
// environment is held: only then can an unknown key be called unknown.
func (f *Follower) checkReady() {
	if !f.streamCaughtUp.Load() || f.CaughtUp.Load() {
		return
	}
	if missing := f.Missing(); len(missing) > 0 {
		return
	}
	if f.CaughtUp.CompareAndSwap(false, true) {
		f.log.Info("ready: every catalogued environment is held", zap.Int("environments", len(f.store.All())))
	}
}
