package store

import "sync"

// table is a map for one writer at a time (the caller serializes writes) and any number of readers, which
// never lock: a typed face on sync.Map, whose loads are lock-free and whose writes cost O(1) whatever it
// holds.
type table[K comparable, V any] struct {
	m sync.Map
	n int // entries; the writer's
}

func newTable[K comparable, V any]() *table[K, V] { return &table[K, V]{} }

func (t *table[K, V]) load(k K) (V, bool) {
	v, ok := t.m.Load(k)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

// store sets k to v. Writers only.
func (t *table[K, V]) store(k K, v V) {
	if _, loaded := t.m.Swap(k, v); !loaded {
		t.n++
	}
}

// delete removes k. Writers only.
func (t *table[K, V]) delete(k K) {
	if _, loaded := t.m.LoadAndDelete(k); loaded {
		t.n--
	}
}

// all calls fn for every entry; entries written meanwhile may or may not be seen.
func (t *table[K, V]) all(fn func(K, V)) {
	t.m.Range(func(k, v any) bool { fn(k.(K), v.(V)); return true })
}

// size is the number of entries. Writers only.
func (t *table[K, V]) size() int { return t.n }
