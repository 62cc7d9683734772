package snapdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/zap"

	"github.com/halyard-flags/halyard/shared/wire"
)

const (
	catalogFile = "catalog.snap"
	tempPattern = ".tmp-*"
)

// Dir is a snapshot directory.
type Dir struct {
	path string
	log  *zap.Logger
	obs  Observer

	mu          sync.Mutex
	written     map[int64]int64 // environment → version of its file; read and written by the writer
	catalog     *wire.Catalog   // the newest catalog not written yet
	lastCatalog map[int64]int64 // the versions of the catalog file; nil when there is none
	catalogSet  chan struct{}   // signalled by SaveCatalog
	failing     bool            // a write failed and none succeeded since: further failures are not logged
}

// Option configures a Dir.
type Option func(*Dir)

// Observe has o told of every file loaded, written or refused.
func Observe(o Observer) Option { return func(d *Dir) { d.obs = o } }

// Open makes sure path is a directory this process can write (creating it if needed), removes the
// temporary files a crash may have left, and learns which version each environment's file holds.
func Open(path string, log *zap.Logger, opts ...Option) (*Dir, error) {
	d := &Dir{path: path, log: log, obs: nopObserver{}, written: map[int64]int64{}, catalogSet: make(chan struct{}, 1)}
	for _, opt := range opts {
		opt(d)
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	leftovers, err := filepath.Glob(filepath.Join(path, tempPattern))
	if err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	for _, f := range leftovers {
		_ = os.Remove(f)
	}
	probe, err := os.CreateTemp(path, tempPattern)
	if err != nil {
		return nil, fmt.Errorf("snapshot directory %s is not writable: %w", path, err)
	}
	_ = probe.Close() // only its creation mattered
	if err := os.Remove(probe.Name()); err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	d.learn()
	return d, nil
}

// learn records the version of every sound environment file, so that the writer does not rewrite what the
// directory already holds. An unsound file is left for Load to report; the writer replaces it with the
// environment's next version, or the same one again.
func (d *Dir) learn() {
	for id, name := range d.envFiles() {
		if v, ok := peek(name, id); ok {
			d.written[id] = v
		}
	}
	if b, err := os.ReadFile(filepath.Join(d.path, catalogFile)); err == nil {
		if _, payload, err := unframe(b); err == nil {
			if c, err := wire.DecodeCatalog(payload); err == nil {
				d.lastCatalog = nonNil(c.Versions)
			}
		}
	}
}

// envFiles lists the environment files by environment id.
func (d *Dir) envFiles() map[int64]string {
	names, _ := filepath.Glob(filepath.Join(d.path, "env-*.snap"))
	out := map[int64]string{}
	for _, name := range names {
		id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "env-"), ".snap"), 10, 64)
		if err == nil {
			out[id] = name
		}
	}
	return out
}

func (d *Dir) envFile(id int64) string {
	return filepath.Join(d.path, "env-"+strconv.FormatInt(id, 10)+".snap")
}

// replace writes b as name atomically: a temporary file in the same directory, synced, then renamed over
// name. The caller syncs the directory (syncDir) once for a batch of renames.
func (d *Dir) replace(name string, b []byte) (err error) {
	f, err := os.CreateTemp(d.path, tempPattern)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()           // the write already failed: that error is the one returned
			_ = os.Remove(f.Name()) // a temp file left behind is removed at the next start
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// syncDir makes the renames in the directory durable.
func (d *Dir) syncDir() error {
	f, err := os.Open(d.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) { // some systems cannot sync a directory
		return err
	}
	return nil
}

// peek reads environment id's file without compiling or keeping anything, and returns its version if the
// file is sound: frame and checksum, this build's snapshot format, and the environment and version its name
// and header say.
func peek(name string, id int64) (int64, bool) {
	b, err := os.ReadFile(name) // #nosec G304 -- a file of the operator's HALYARD_SNAPSHOT_DIR, named by this package
	if err != nil {
		return 0, false
	}
	version, payload, err := unframe(b)
	if err != nil {
		return 0, false
	}
	var head struct {
		Format        int   `msgpack:"format"`
		EnvironmentID int64 `msgpack:"environment_id"`
		Version       int64 `msgpack:"version"`
	}
	if msgpack.Unmarshal(payload, &head) != nil || head.Format != wire.FormatVersion || head.EnvironmentID != id ||
		head.Version != version {
		return 0, false
	}
	return version, true
}
