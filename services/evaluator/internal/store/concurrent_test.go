package store

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/halyard-flags/halyard/shared/wire"
)

// versionedSnapshot is environment env at version v: flag count and keys both follow v, so a reader can
// tell a whole version from a mixture.
func versionedSnapshot(env, v int64) *wire.Snapshot {
	keys := []wire.Key{sdk(fmt.Sprintf("phc_%d", env)), sdk(fmt.Sprintf("phc_%d_%d", env, v%3))}
	flags := make([]string, v%5)
	for i := range flags {
		flags[i] = fmt.Sprintf("f%d", i)
	}
	return snapshot(env, v, keys, flags...)
}

// checkEnv reports what is wrong with an Env a reader found, if anything.
func checkEnv(e *Env, key string) error {
	if e.Engine == nil || e.Snapshot == nil || e.Snapshot.Version != e.Version || e.Engine.Len() != int(e.Version%5) {
		return fmt.Errorf("env %d v%d is not whole", e.ID, e.Version)
	}
	if key != "" && !slices.ContainsFunc(e.Snapshot.Keys, func(k wire.Key) bool { return k.Value == key }) {
		return fmt.Errorf("key %s resolved to env %d v%d, which does not have it", key, e.ID, e.Version)
	}
	return nil
}

// TestReadersDuringApplies: readers that never lock, while writers apply versions of several environments
// concurrently, always find whole versions, never a version older than one they saw before, and never a key
// the version does not have. Run with -race.
func TestReadersDuringApplies(t *testing.T) {
	const envs, versions, readers = 4, 300, 4
	s := New()
	for env := int64(1); env <= envs; env++ {
		s.Apply(versionedSnapshot(env, 1))
	}
	var done atomic.Bool
	errs := make(chan error, readers)
	var wg sync.WaitGroup
	for r := range readers {
		wg.Go(func() { errs <- read(s, envs, r, &done) })
	}
	var writers sync.WaitGroup
	for env := int64(1); env <= envs; env++ {
		// Two writers per environment, racing with versions in opposite orders: the newest must win.
		writers.Go(func() {
			for v := int64(2); v <= versions; v++ {
				s.Apply(versionedSnapshot(env, v))
			}
		})
		writers.Go(func() {
			for v := int64(versions); v >= 2; v -= 7 {
				s.Apply(versionedSnapshot(env, v))
			}
		})
	}
	writers.Wait()
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for env := int64(1); env <= envs; env++ {
		if e, ok := s.ByID(env); !ok || e.Version != versions {
			t.Errorf("environment %d ended at %+v, want version %d", env, e, versions)
		}
	}
}

func read(s *Store, envs int64, r int, done *atomic.Bool) error {
	seen := map[int64]int64{}
	for i := 0; !done.Load(); i++ {
		env := int64(i+r)%envs + 1
		key := fmt.Sprintf("phc_%d", env)
		e, ok := s.BySDKKey(key)
		if !ok {
			return fmt.Errorf("key %s not found", key)
		}
		if err := checkEnv(e, key); err != nil {
			return err
		}
		if e.Version < seen[env] {
			return fmt.Errorf("env %d went back from v%d to v%d", env, seen[env], e.Version)
		}
		seen[env] = e.Version
		if e, ok = s.ByID(env); !ok || e.Version < seen[env] {
			return fmt.Errorf("ByID(%d) = v%d after v%d was seen", env, e.Version, seen[env])
		}
		if i%50 == 0 {
			for _, e := range s.All() {
				if err := checkEnv(e, ""); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
