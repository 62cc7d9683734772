package snapdir

import (
	"errors"
	"os"
	"path/filepath"
	"slices"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/zap"
)

// Load applies every sound environment file to st (store.ApplyFromDisk) and returns the catalog the
// directory holds (nil when it holds none, or none it can use). Each file refused is logged and counted
// once; the environment is then simply not served from disk.
func (d *Dir) Load(st *store.Store) *wire.Catalog {
	files := d.envFiles()
	ids := make([]int64, 0, len(files))
	for id := range files {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	loaded := 0
	for _, id := range ids {
		snap, err := readSnapshot(files[id], id)
		if err != nil {
			d.refused(files[id], err)
			delete(d.written, id) // the writer replaces it with the next version the stream delivers
			continue
		}
		if st.ApplyFromDisk(snap) {
			loaded++
			d.obs.Loaded()
		}
	}
	cat, err := readCatalog(filepath.Join(d.path, catalogFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		d.refused(filepath.Join(d.path, catalogFile), err)
	}
	catalogued := 0
	if cat != nil {
		catalogued = len(cat.Versions)
	}
	d.log.Info("loaded snapshots from disk", zap.String("dir", d.path), zap.Int("environments", loaded),
		zap.Int("files", len(files)), zap.Bool("catalog", cat != nil), zap.Int("catalogued", catalogued))
	return cat
}

func (d *Dir) refused(name string, err error) {
	reason := ReasonRead
	var r *refusal
	if errors.As(err, &r) {
		reason = r.reason
	}
	d.obs.Failed(reason)
	d.log.Error("refusing a snapshot file; that environment is not served from disk", zap.String("file", name),
		zap.String("reason", reason), zap.Error(err))
}

// readSnapshot reads environment id's file.
func readSnapshot(name string, id int64) (*wire.Snapshot, error) {
	b, err := os.ReadFile(name) // #nosec G304 -- a file of the operator's HALYARD_SNAPSHOT_DIR, named by this package
	if err != nil {
		return nil, err
	}
	version, payload, err := unframe(b)
	if err != nil {
		return nil, err
	}
	snap, err := wire.Decode(payload)
	if err != nil {
		return nil, &refusal{reason: decodeFailure(payload), err: err}
	}
	if snap.EnvironmentID != id || snap.Version != version {
		return nil, refuse(ReasonWrongEnvironment, "the file holds environment %d v%d, its name and header say %d v%d",
			snap.EnvironmentID, snap.Version, id, version)
	}
	return snap, nil
}

// readCatalog reads the catalog file.
func readCatalog(name string) (*wire.Catalog, error) {
	b, err := os.ReadFile(name) // #nosec G304 -- a file of the operator's HALYARD_SNAPSHOT_DIR, named by this package
	if err != nil {
		return nil, err
	}
	_, payload, err := unframe(b)
	if err != nil {
		return nil, err
	}
	c, err := wire.DecodeCatalog(payload)
	if err != nil {
		return nil, &refusal{reason: decodeFailure(payload), err: err}
	}
	return c, nil
}

// decodeFailure says why a payload whose checksum holds does not decode: a readable header of another
// format, or not a snapshot at all.
func decodeFailure(payload []byte) string {
	var head struct {
		Format int `msgpack:"format"`
	}
	if msgpack.Unmarshal(payload, &head) == nil && head.Format != wire.FormatVersion {
		return ReasonFormat
	}
	return ReasonCorrupt
}
