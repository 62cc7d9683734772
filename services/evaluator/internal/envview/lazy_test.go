package envview

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestLazyBuildsOnce: concurrent first uses wait for one build and all get its value; later uses get it
// without building.
func TestLazyBuildsOnce(t *testing.T) {
	var l Lazy[Definitions]
	var builds atomic.Int32
	build := func() *Definitions { builds.Add(1); return &Definitions{ETag: `"x"`} }
	got := make([]*Definitions, 16)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = l.Get(build) })
	}
	wg.Wait()
	for i, d := range got {
		if d != got[0] || d.ETag != `"x"` {
			t.Fatalf("use %d got %p %+v, use 0 got %p", i, d, d, got[0])
		}
	}
	if l.Get(build) != got[0] || builds.Load() != 1 {
		t.Errorf("built %d times, want 1", builds.Load())
	}
}

func BenchmarkLazyGet(b *testing.B) {
	var l Lazy[Fragments]
	build := func() *Fragments { return &Fragments{} }
	l.Get(build)
	b.ReportAllocs()
	for b.Loop() {
		if l.Get(build) == nil {
			b.Fatal("nil")
		}
	}
}
