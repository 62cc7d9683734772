package snapdir

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestWriteThenLoad: what one process applied (and the catalog it saw) is written; a process started
// later on the same directory serves it, every environment marked as the disk's, with the catalog back.
func TestWriteThenLoad(t *testing.T) {
	dir := t.TempDir()
	st := store.New()
	st.Apply(snapshot(1, 3)) // before the writer starts
	d, c := open(t, dir, nil)
	stop := run(t, d, st)
	waitFor(t, "v3 on disk", func() error {
		if v := onDisk(t, dir, 1); v != 3 {
			return fmt.Errorf("on disk: v%d", v)
		}
		return nil
	})
	st.Apply(snapshot(2, 7))
	st.Apply(snapshot(1, 4))
	d.SaveCatalog(&wire.Catalog{Format: wire.FormatVersion, Versions: map[int64]int64{1: 4, 2: 7}})
	waitFor(t, "both environments on disk", func() error {
		if got := [2]int64{onDisk(t, dir, 1), onDisk(t, dir, 2)}; got != [2]int64{4, 7} {
			return fmt.Errorf("on disk: %v", got)
		}
		return nil
	})
	stop()
	if _, written, failed := c.get(); written != 4 || len(failed) != 0 {
		t.Errorf("written %d files, failures %v; want 4 (1 at v3 and v4, 2 at v7, the catalog), none", written, failed)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	fresh := store.New()
	d2, c2 := open(t, dir, nil)
	cat := d2.Load(fresh)
	if diff := cmp.Diff(map[int64]int64{1: 4, 2: 7}, versions(fresh)); diff != "" {
		t.Errorf("loaded versions mismatch (-want +got):\n%s", diff)
	}
	if cat == nil || !cmp.Equal(cat.Versions, map[int64]int64{1: 4, 2: 7}) {
		t.Errorf("loaded catalog %+v, want environments 1 at v4 and 2 at v7", cat)
	}
	for _, e := range fresh.All() {
		if e.Source() != store.SourceDisk {
			t.Errorf("environment %d source %q, want disk", e.ID, e.Source())
		}
		if e.Snapshot.Flags[0].Key != fmt.Sprintf("v%d", e.Version) {
			t.Errorf("environment %d v%d serves flag %q", e.ID, e.Version, e.Snapshot.Flags[0].Key)
		}
	}
	if loaded, _, failed := c2.get(); loaded != 2 || len(failed) != 0 {
		t.Errorf("loaded %d, failures %v; want 2, none", loaded, failed)
	}

	// The second process's writer does not rewrite what the directory already holds.
	stop2 := run(t, d2, fresh)
	d2.SaveCatalog(&wire.Catalog{Format: wire.FormatVersion, Versions: map[int64]int64{2: 7, 1: 4}})
	stop2()
	if _, written, _ := c2.get(); written != 0 {
		t.Errorf("a writer on a directory holding the store's versions wrote %d files, want 0", written)
	}
}

// TestRefusedFiles: a file that is truncated, flipped, of another format or another environment's is
// refused at load with its reason, counted and logged once; the other environments are still loaded.
func TestRefusedFiles(t *testing.T) {
	otherFormat := snapshot(2, 1)
	otherFormat.Format = wire.FormatVersion + 1
	tests := []struct {
		name       string
		corrupt    func(tb testing.TB, dir string) // breaks environment 2's file, or the catalog
		wantReason string
		wantLoaded map[int64]int64
		wantCat    bool
	}{
		{"truncated", func(tb testing.TB, dir string) {
			rewrite(tb, dir, "env-2.snap", func(b []byte) []byte { return b[:len(b)-3] })
		},
			ReasonCorrupt, map[int64]int64{1: 1}, true},
		{"payload bit flipped", func(tb testing.TB, dir string) { rewrite(tb, dir, "env-2.snap", flip(headerLen+5)) },
			ReasonCorrupt, map[int64]int64{1: 1}, true},
		{"header version flipped", func(tb testing.TB, dir string) { rewrite(tb, dir, "env-2.snap", flip(len(magic)+11)) },
			ReasonCorrupt, map[int64]int64{1: 1}, true},
		{"empty", func(tb testing.TB, dir string) { rewrite(tb, dir, "env-2.snap", func([]byte) []byte { return nil }) },
			ReasonCorrupt, map[int64]int64{1: 1}, true},
		{"file format from the future", func(tb testing.TB, dir string) {
			rewrite(tb, dir, "env-2.snap", func(b []byte) []byte {
				binary.BigEndian.PutUint32(b[len(magic):], fileFormat+1)
				return b
			})
		}, ReasonFormat, map[int64]int64{1: 1}, true},
		{"snapshot format from the future", func(tb testing.TB, dir string) { writeFile(tb, dir, "env-2.snap", 1, encode(tb, otherFormat)) },
			ReasonFormat, map[int64]int64{1: 1}, true},
		{"not a snapshot inside", func(tb testing.TB, dir string) { writeFile(tb, dir, "env-2.snap", 1, []byte{0xc1, 0xc1}) },
			ReasonCorrupt, map[int64]int64{1: 1}, true},
		{"another environment's snapshot", func(tb testing.TB, dir string) { writeFile(tb, dir, "env-2.snap", 1, encode(tb, snapshot(1, 1))) },
			ReasonWrongEnvironment, map[int64]int64{1: 1}, true},
		{"catalog corrupt", func(tb testing.TB, dir string) { rewrite(tb, dir, catalogFile, flip(headerLen+1)) },
			ReasonCorrupt, map[int64]int64{1: 1, 2: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "env-1.snap", 1, encode(t, snapshot(1, 1)))
			writeFile(t, dir, "env-2.snap", 1, encode(t, snapshot(2, 1)))
			cat, err := wire.EncodeCatalog(&wire.Catalog{Format: wire.FormatVersion, Versions: map[int64]int64{1: 1, 2: 1}})
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, catalogFile, 0, cat)
			tt.corrupt(t, dir)

			core, logs := observer.New(zapcore.InfoLevel)
			d, c := open(t, dir, zap.New(core))
			st := store.New()
			gotCat := d.Load(st)
			if diff := cmp.Diff(tt.wantLoaded, versions(st)); diff != "" {
				t.Errorf("loaded mismatch (-want +got):\n%s", diff)
			}
			if (gotCat != nil) != tt.wantCat {
				t.Errorf("catalog loaded = %v, want %v", gotCat != nil, tt.wantCat)
			}
			if _, _, failed := c.get(); !cmp.Equal(failed, map[string]int{tt.wantReason: 1}) {
				t.Errorf("failures %v, want one %s", failed, tt.wantReason)
			}
			if n := logs.FilterMessageSnippet("refusing a snapshot file").Len(); n != 1 {
				t.Errorf("logged %d refusals, want 1", n)
			}

			// A process that does not load the directory (NATS reachable) replaces the refused file with
			// the version the stream delivers, even the same one.
			following := store.New()
			following.Apply(snapshot(2, 1))
			d2, _ := open(t, dir, nil)
			d2.SaveCatalog(&wire.Catalog{Format: wire.FormatVersion, Versions: map[int64]int64{1: 1, 2: 1}})
			run(t, d2, following)
			waitFor(t, "sound files again", func() error {
				if v := onDisk(t, dir, 2); v != 1 {
					return fmt.Errorf("environment 2 on disk: v%d", v)
				}
				if _, err := readCatalog(filepath.Join(dir, catalogFile)); err != nil {
					return err
				}
				return nil
			})
		})
	}
}

// TestBurstCoalesces: fifty versions of an environment applied in a burst are written as a few files, the
// last one holding the last version.
func TestBurstCoalesces(t *testing.T) {
	dir := t.TempDir()
	st := store.New()
	d, c := open(t, dir, nil)
	run(t, d, st)
	st.Apply(snapshot(1, 1))
	waitFor(t, "v1 on disk", func() error {
		if v := onDisk(t, dir, 1); v != 1 {
			return fmt.Errorf("on disk: v%d", v)
		}
		return nil
	})
	for v := int64(2); v <= 50; v++ {
		st.Apply(snapshot(1, v))
	}
	waitFor(t, "v50 on disk", func() error {
		if v := onDisk(t, dir, 1); v != 50 {
			return fmt.Errorf("on disk: v%d", v)
		}
		return nil
	})
	if _, written, _ := c.get(); written > 5 {
		t.Errorf("a burst of 50 versions made %d writes, want a few (coalesced)", written)
	}
}

// TestWriteFailures: writes that fail are counted each time and logged once, the previous file stays, and
// writing resumes (and says so) once the disk works again.
func TestWriteFailures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	st := store.New()
	core, logs := observer.New(zapcore.InfoLevel)
	d, c := open(t, dir, zap.New(core))
	run(t, d, st)
	if err := os.RemoveAll(dir); err != nil { // every write now fails: its directory is gone
		t.Fatal(err)
	}
	st.Apply(snapshot(1, 1))
	waitFor(t, "a failed write", func() error {
		if _, _, failed := c.get(); failed[ReasonWrite] < 1 {
			return fmt.Errorf("failures %v", failed)
		}
		return nil
	})
	st.Apply(snapshot(1, 2))
	waitFor(t, "a second failed write", func() error {
		if _, _, failed := c.get(); failed[ReasonWrite] < 2 {
			return fmt.Errorf("failures %v", failed)
		}
		return nil
	})
	if n := logs.FilterMessageSnippet("cannot write a snapshot").Len(); n != 1 {
		t.Errorf("logged %d write failures, want 1", n)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	st.Apply(snapshot(1, 3))
	// The file is renamed into place before the batch ends and the recovery is logged: wait for both.
	waitFor(t, "v3 on disk and the recovery logged", func() error {
		if v := onDisk(t, dir, 1); v != 3 {
			return fmt.Errorf("on disk: v%d", v)
		}
		if logs.FilterMessageSnippet("writing snapshots to disk again").Len() == 0 {
			return fmt.Errorf("the recovery is not logged yet")
		}
		return nil
	})
	if n := logs.FilterMessageSnippet("writing snapshots to disk again").Len(); n != 1 {
		t.Errorf("logged the recovery %d times, want 1", n)
	}
}

// TestOpen: a directory is created when missing, the temporary files a crash left are removed, and a path
// that cannot be a directory is an error.
func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	open(t, dir, nil)
	leftover := filepath.Join(dir, ".tmp-123")
	if err := os.WriteFile(leftover, []byte("half a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	open(t, dir, nil)
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover temporary file still there (stat: %v)", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file, zap.NewNop()); err == nil {
		t.Error("Open on a regular file succeeded, want an error")
	}
}

func encode(tb testing.TB, s *wire.Snapshot) []byte {
	tb.Helper()
	b, err := wire.Encode(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// writeFile frames payload as name in dir.
func writeFile(tb testing.TB, dir, name string, version int64, payload []byte) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), frame(version, payload), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// rewrite replaces the file name in dir by change(its bytes).
func rewrite(tb testing.TB, dir, name string, change func([]byte) []byte) {
	tb.Helper()
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, change(b), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// flip inverts one bit of byte i.
func flip(i int) func([]byte) []byte {
	return func(b []byte) []byte { b[i] ^= 0x10; return b }
}
