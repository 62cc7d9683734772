package snapdir

import (
	"context"
	"maps"
	"path/filepath"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
	"go.uber.org/zap"
)

// batchInterval is the shortest time between two batches of writes: the changes of a burst coalesce
// meanwhile, so the disk sees at most one write per environment per interval.
const batchInterval = 200 * time.Millisecond

// SaveCatalog has the writer persist c with its next batch (the follower's natssub.OnCatalog). It never
// waits for the disk.
func (d *Dir) SaveCatalog(c *wire.Catalog) {
	d.mu.Lock()
	d.catalog = c
	d.mu.Unlock()
	select {
	case d.catalogSet <- struct{}{}:
	default:
	}
}

// Run writes every environment st serves, then every version st applies, until ctx ends; then it writes
// what is still pending and returns.
func (d *Dir) Run(ctx context.Context, st *store.Store) error {
	sub := st.Subscribe() // before reading the store: nothing applied after the read is missed
	defer sub.Close()
	var changes []store.Change
	for _, e := range st.All() {
		changes = append(changes, store.Change{EnvironmentID: e.ID, Version: e.Version})
	}
	for {
		d.flush(st, changes)
		select {
		case <-ctx.Done():
			d.flush(st, sub.Take(changes[:0]))
			return nil
		case <-time.After(batchInterval):
		}
		select {
		case <-ctx.Done():
			d.flush(st, sub.Take(changes[:0]))
			return nil
		case <-sub.Ready():
		case <-d.catalogSet:
		}
		changes = sub.Take(changes[:0])
	}
}

// flush writes the environments that changed (at the version the store holds now) and the catalog, if it
// changed, then syncs the directory once.
func (d *Dir) flush(st *store.Store, changes []store.Change) {
	wrote := false
	for _, c := range changes {
		e, ok := st.ByID(c.EnvironmentID)
		if !ok || d.written[e.ID] >= e.Version {
			continue // already on disk (read back from it, or written before this process started)
		}
		payload, err := wire.Encode(e.Snapshot)
		if err == nil {
			err = d.replace(d.envFile(e.ID), frame(e.Version, payload))
		}
		if d.done(err, zap.Int64("environment", e.ID), zap.Int64("version", e.Version)) {
			d.written[e.ID] = e.Version
			wrote = true
		}
	}
	wrote = d.flushCatalog() || wrote
	if !wrote {
		return
	}
	if err := d.syncDir(); err != nil {
		d.failed(err, zap.String("file", d.path))
	}
}

// flushCatalog writes the catalog SaveCatalog was last given, unless the directory holds it already.
func (d *Dir) flushCatalog() bool {
	d.mu.Lock()
	c := d.catalog
	d.catalog = nil
	d.mu.Unlock()
	if c == nil {
		return false
	}
	if d.lastCatalog != nil && maps.Equal(c.Versions, d.lastCatalog) {
		return false
	}
	payload, err := wire.EncodeCatalog(c)
	if err == nil {
		err = d.replace(filepath.Join(d.path, catalogFile), frame(0, payload))
	}
	if !d.done(err, zap.String("file", catalogFile)) {
		return false
	}
	d.lastCatalog = nonNil(c.Versions)
	return true
}

// done counts a write and reports whether it succeeded. After a failure, the next ones are counted but not
// logged until a write succeeds again: a full disk says so once, not at every change.
func (d *Dir) done(err error, fields ...zap.Field) bool {
	if err == nil {
		d.obs.Written()
		if d.failing {
			d.failing = false
			d.log.Info("writing snapshots to disk again", fields...)
		}
		return true
	}
	d.failed(err, fields...)
	return false
}

// failed counts a failed write and logs it, unless the previous write failed too.
func (d *Dir) failed(err error, fields ...zap.Field) {
	d.obs.Failed(ReasonWrite)
	if !d.failing {
		d.failing = true
		d.log.Error("cannot write a snapshot to disk; the previous file stays (further failures are counted, not logged)",
			append(fields, zap.String("dir", d.path), zap.Error(err))...)
	}
}

func nonNil(m map[int64]int64) map[int64]int64 {
	if m == nil {
		return map[int64]int64{}
	}
	return m
}
