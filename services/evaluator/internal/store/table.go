package store

import (
	"hash/maphash"
	"sync/atomic"
)

// table is a hash table for one writer at a time (the caller serializes writes) and any number of readers,
// which never lock. A bucket's chain of entries is immutable: a write builds the bucket's new chain (sharing
// the part after the changed entry) and publishes it with one atomic store, so a reader walks either the old
// chain or the new one. A write costs O(1) whatever the table holds, apart from the doubling when it gets
// full (amortized O(1); readers keep using the old buckets meanwhile).
type table[K comparable, V any] struct {
	b atomic.Pointer[buckets[K, V]]
	n int // entries; the writer's
}

type buckets[K comparable, V any] struct {
	seed  maphash.Seed
	heads []atomic.Pointer[entry[K, V]] // a power of two of them
}

type entry[K comparable, V any] struct {
	hash uint64 // compared first: a chain's other keys are then rarely read
	key  K
	val  V
	next *entry[K, V]
}

func newTable[K comparable, V any]() *table[K, V] {
	t := &table[K, V]{}
	t.b.Store(&buckets[K, V]{seed: maphash.MakeSeed(), heads: make([]atomic.Pointer[entry[K, V]], 8)})
	return t
}

func (b *buckets[K, V]) hash(k K) uint64 { return maphash.Comparable(b.seed, k) }

func (b *buckets[K, V]) head(hash uint64) *atomic.Pointer[entry[K, V]] {
	return &b.heads[hash&uint64(len(b.heads)-1)]
}

func (t *table[K, V]) load(k K) (V, bool) {
	b := t.b.Load()
	h := b.hash(k)
	for e := b.head(h).Load(); e != nil; e = e.next {
		if e.hash == h && e.key == k {
			return e.val, true
		}
	}
	var zero V
	return zero, false
}

// store sets k to v. Writers only.
func (t *table[K, V]) store(k K, v V) {
	b := t.b.Load()
	if t.n >= len(b.heads) {
		b = t.grow(b)
	}
	hash := b.hash(k)
	h := b.head(hash)
	rest, found := without(h.Load(), k)
	h.Store(&entry[K, V]{hash: hash, key: k, val: v, next: rest})
	if !found {
		t.n++
	}
}

// delete removes k. Writers only.
func (t *table[K, V]) delete(k K) {
	b := t.b.Load()
	h := b.head(b.hash(k))
	if rest, found := without(h.Load(), k); found {
		h.Store(rest)
		t.n--
	}
}

// without returns chain without k's entry: the entries before it copied, the ones after it shared.
func without[K comparable, V any](chain *entry[K, V], k K) (*entry[K, V], bool) {
	if chain == nil {
		return nil, false
	}
	if chain.key == k {
		return chain.next, true
	}
	rest, found := without(chain.next, k)
	if !found {
		return chain, false
	}
	return &entry[K, V]{hash: chain.hash, key: chain.key, val: chain.val, next: rest}, true
}

// grow publishes a copy of b with twice the buckets. Writers only.
func (t *table[K, V]) grow(b *buckets[K, V]) *buckets[K, V] {
	next := &buckets[K, V]{seed: b.seed, heads: make([]atomic.Pointer[entry[K, V]], 2*len(b.heads))}
	for i := range b.heads {
		for e := b.heads[i].Load(); e != nil; e = e.next {
			h := next.head(e.hash)
			h.Store(&entry[K, V]{hash: e.hash, key: e.key, val: e.val, next: h.Load()})
		}
	}
	t.b.Store(next)
	return next
}

// all calls fn for every entry of one moment's buckets; entries written meanwhile may or may not be seen.
func (t *table[K, V]) all(fn func(K, V)) {
	b := t.b.Load()
	for i := range b.heads {
		for e := b.heads[i].Load(); e != nil; e = e.next {
			fn(e.key, e.val)
		}
	}
}

// size is the number of entries. Writers only.
func (t *table[K, V]) size() int { return t.n }
