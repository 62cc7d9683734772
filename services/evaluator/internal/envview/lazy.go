package envview

import (
	"sync"
	"sync/atomic"
)

// Lazy is a value built on first use and then kept. Once built, Get is one atomic load: it sits on the
// request path. Concurrent first uses wait for one build rather than each building their own.
type Lazy[T any] struct {
	v  atomic.Pointer[T]
	mu sync.Mutex // serializes builds
}

// Get returns the value, calling build the first time. build must not return nil.
func (l *Lazy[T]) Get(build func() *T) *T {
	if v := l.v.Load(); v != nil {
		return v
	}
	return l.build(build)
}

func (l *Lazy[T]) build(build func() *T) *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v := l.v.Load(); v != nil {
		return v
	}
	v := build()
	l.v.Store(v)
	return v
}
