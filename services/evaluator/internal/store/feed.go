package store

import "sync"

// Change says that an environment now has a version.
type Change struct {
	EnvironmentID int64
	Version       int64
}

// Subscription receives the changes the store applies after Subscribe returned, coalesced per environment:
// a subscriber that does not keep up misses intermediate versions, never the latest one, and never slows an
// apply down (an apply only records the version and signals). To start from a consistent state, subscribe
// first and then read the store: nothing applied after that read is missed.
//
//	sub := st.Subscribe()
//	defer sub.Close()
//	var changes []store.Change
//	for range sub.Ready() {
//		changes = sub.Take(changes[:0])
//		…
//	}
type Subscription struct {
	feed  *feed
	envs  []int64 // the environments it follows; nil for all
	ready chan struct{}

	mu      sync.Mutex
	pending map[int64]int64 // environment → latest version not yet taken
	order   []int64         // pending environments, in the order they first changed
	closed  bool
}

// Ready receives a value when changes are pending (one value for any number of them), and is closed by
// Close.
func (sub *Subscription) Ready() <-chan struct{} { return sub.ready }

// Take appends the pending changes to dst, each environment once at its latest version, in the order the
// environments first changed since the previous Take, and forgets them.
func (sub *Subscription) Take(dst []Change) []Change {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	for _, id := range sub.order {
		dst = append(dst, Change{EnvironmentID: id, Version: sub.pending[id]})
	}
	clear(sub.pending)
	sub.order = sub.order[:0]
	return dst
}

// Close ends the subscription: the store forgets it, pending changes are dropped and Ready is closed.
// Closing twice is harmless.
func (sub *Subscription) Close() {
	sub.feed.remove(sub)
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.closed {
		sub.closed = true
		sub.pending, sub.order = nil, nil
		close(sub.ready)
	}
}

// offer records c and signals, without ever waiting for the subscriber.
func (sub *Subscription) offer(c Change) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return
	}
	v, ok := sub.pending[c.EnvironmentID]
	if !ok {
		sub.order = append(sub.order, c.EnvironmentID)
	}
	if !ok || c.Version > v {
		sub.pending[c.EnvironmentID] = c.Version
	}
	select {
	case sub.ready <- struct{}{}:
	default: // a signal is already waiting
	}
}

// feed is the store's set of subscriptions: those following every environment, and those following some,
// by environment, so an apply touches only the subscriptions that follow its environment.
type feed struct {
	mu    sync.Mutex
	all   map[*Subscription]struct{}
	byEnv map[int64]map[*Subscription]struct{}
}

func (f *feed) add(sub *Subscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sub.envs == nil {
		f.all[sub] = struct{}{}
		return
	}
	for _, id := range sub.envs {
		if f.byEnv[id] == nil {
			f.byEnv[id] = map[*Subscription]struct{}{}
		}
		f.byEnv[id][sub] = struct{}{}
	}
}

func (f *feed) remove(sub *Subscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.all, sub)
	for _, id := range sub.envs {
		delete(f.byEnv[id], sub)
		if len(f.byEnv[id]) == 0 {
			delete(f.byEnv, id)
		}
	}
}

func (f *feed) publish(c Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.all {
		sub.offer(c)
	}
	for sub := range f.byEnv[c.EnvironmentID] {
		sub.offer(c)
	}
}

// Subscribe follows the given environments, or every environment when none is given. Close the
// subscription when done.
func (s *Store) Subscribe(envIDs ...int64) *Subscription {
	sub := &Subscription{feed: &s.feed, ready: make(chan struct{}, 1), pending: map[int64]int64{}}
	if len(envIDs) > 0 {
		sub.envs = append([]int64(nil), envIDs...)
	}
	s.feed.add(sub)
	return sub
}
