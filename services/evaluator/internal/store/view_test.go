package store

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/halyard-flags/halyard/services/evaluator/internal/envview"
	"github.com/halyard-flags/halyard/shared/wire"
)

// TestViewIsPerVersion: what the HTTP API derives is built once per version, on first use, kept with that
// version, and a new version starts without it.
func TestViewIsPerVersion(t *testing.T) {
	s := New()
	var builds atomic.Int32
	definitions := func(e *Env) *envview.Definitions {
		return e.View().Definitions.Get(func() *envview.Definitions {
			builds.Add(1)
			return &envview.Definitions{ETag: strconv.FormatInt(e.Version, 10)}
		})
	}
	s.Apply(snapshot(1, 1, []wire.Key{sdk("phc_a")}, "a"))
	v1, _ := s.ByID(1)
	first := definitions(v1)
	if byKey, _ := s.BySDKKey("phc_a"); definitions(byKey) != first || builds.Load() != 1 {
		t.Errorf("the same version built its view %d times", builds.Load())
	}
	s.Apply(snapshot(1, 2, []wire.Key{sdk("phc_a")}, "a", "b"))
	v2, _ := s.BySDKKey("phc_a")
	if d := definitions(v2); d.ETag != "2" || builds.Load() != 2 {
		t.Errorf("version 2's view = %+v after %d builds", d, builds.Load())
	}
	if definitions(v1) != first || builds.Load() != 2 {
		t.Error("version 1's view was rebuilt")
	}
}
