// Package streams pushes environment changes to SDKs over server-sent events: OpenFeature's OFREP event
// streams (refetchEvaluation notifications) and PostHog's stream gateway protocol (version beacons).
//
// The Hub is the fan-out. It follows the store's change feed with one subscription per environment that
// has open streams (never one per stream), and wakes that environment's streams without ever waiting for
// them: a stream that does not keep up only coalesces versions, it never holds back the others. Streams
// are written by their own HTTP handler goroutine (Serve), which spreads OFREP notifications of a busy
// environment over a short window so the refetches that follow do not arrive as one spike (ADR 0013).
// Stream URLs carry a signed, short-lived token (Signer), never an SDK key.
package streams

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
)

// Config is how streams behave; the zero value of a field takes its default (see withDefaults).
type Config struct {
	// Heartbeat is the longest a stream stays silent: after it, a comment (OFREP) or a version beacon
	// (PostHog) keeps proxies from closing the connection. Default 15 s.
	Heartbeat time.Duration
	// MaxLifetime ends a stream after about this long (±10%), with a reconnect hint, so connections are
	// rebalanced across replicas and tokens are checked again. Default 30 min.
	MaxLifetime time.Duration
	// Stagger caps the window over which one change's OFREP notifications are spread. 0 (the default
	// when Spread is false) never spreads.
	Stagger time.Duration
	// RefetchRate is the refetches per second a spread aims at: an environment's notifications are spread
	// over streams ÷ RefetchRate seconds, at most Stagger. Default 20,000.
	RefetchRate float64
	// MaxStreams bounds the open streams of this process; past it a new stream is refused. Default 50,000.
	MaxStreams int
	// WriteTimeout ends a stream whose client does not take a write within it. Default 10 s.
	WriteTimeout time.Duration
}

// DefaultStagger is the default of Config.Stagger (and of HALYARD_STREAM_STAGGER).
const DefaultStagger = time.Second

func (c Config) withDefaults() Config {
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.MaxLifetime <= 0 {
		c.MaxLifetime = 30 * time.Minute
	}
	if c.RefetchRate <= 0 {
		c.RefetchRate = 20000
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = 50000
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	return c
}

// window is how long one change's notifications to n streams of an environment are spread over.
func (c Config) window(n int) time.Duration {
	if c.Stagger <= 0 {
		return 0
	}
	return min(c.Stagger, time.Duration(float64(n)/c.RefetchRate*float64(time.Second)))
}

// Errors of Join.
var (
	ErrClosed = errors.New("streams: the evaluator is shutting down")
	ErrFull   = errors.New("streams: too many open streams")
)

// Hub fans the store's changes out to open streams.
type Hub struct {
	store *store.Store
	cfg   Config
	done  chan struct{}
	open  atomic.Int64 // streams (not waiters)

	mu     sync.Mutex
	topics map[int64]*topic
	closed bool
}

// NewHub returns a hub over st; Run it for its lifetime.
func NewHub(st *store.Store, cfg Config) *Hub {
	return &Hub{store: st, cfg: cfg.withDefaults(), done: make(chan struct{}), topics: map[int64]*topic{}}
}

// Config is the hub's effective configuration.
func (h *Hub) Config() Config { return h.cfg }

// Open is the number of open streams.
func (h *Hub) Open() int { return int(h.open.Load()) }

// Run waits until ctx ends, then closes every stream (their Serve returns) and refuses new ones.
func (h *Hub) Run(ctx context.Context) error {
	<-ctx.Done()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
	return nil
}

// Done is closed when the hub shuts down.
func (h *Hub) Done() <-chan struct{} { return h.done }

// topic is one environment's streams and the store subscription that feeds them.
type topic struct {
	envID int64
	sub   *store.Subscription

	mu      sync.Mutex
	version int64         // the latest version published to members
	window  time.Duration // the spread of that version's notifications
	members map[*Member]struct{}
	streams int // members that are streams, not waiters
}

// Member is one stream's (or one waiting request's) place in its environment's topic.
type Member struct {
	hub    *Hub
	t      *topic
	notify chan struct{} // a value when the topic has a newer version (one for any number of them)
	waiter bool
	left   atomic.Bool
}

// Join adds a stream of environment envID. Leave it when the stream ends.
func (h *Hub) Join(envID int64) (*Member, error) {
	if h.open.Add(1) > int64(h.cfg.MaxStreams) {
		h.open.Add(-1)
		return nil, ErrFull
	}
	m, err := h.join(envID, false)
	if err != nil {
		h.open.Add(-1)
	}
	return m, err
}

func (h *Hub) join(envID int64, waiter bool) (*Member, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	t := h.topics[envID]
	if t == nil {
		// Subscribe first, then read: nothing applied after the read is missed.
		t = &topic{envID: envID, sub: h.store.Subscribe(envID), members: map[*Member]struct{}{}}
		if env, ok := h.store.ByID(envID); ok {
			t.version = env.Version
		}
		h.topics[envID] = t
		go h.follow(t)
	}
	m := &Member{hub: h, t: t, notify: make(chan struct{}, 1), waiter: waiter}
	t.mu.Lock()
	t.members[m] = struct{}{}
	if !waiter {
		t.streams++
	}
	t.mu.Unlock()
	return m, nil
}

// Leave removes the member; the last one out closes its environment's store subscription. Leaving twice
// is harmless.
func (m *Member) Leave() {
	if m.left.Swap(true) {
		return
	}
	h, t := m.hub, m.t
	h.mu.Lock()
	defer h.mu.Unlock()
	t.mu.Lock()
	delete(t.members, m)
	if !m.waiter {
		t.streams--
		h.open.Add(-1)
	}
	empty := len(t.members) == 0
	t.mu.Unlock()
	if empty {
		delete(h.topics, t.envID)
		t.sub.Close()
	}
}

// Changes receives a value when the environment has a newer version than when it last did.
func (m *Member) Changes() <-chan struct{} { return m.notify }

// Latest is the newest version the topic published and the window its notifications are spread over.
func (m *Member) Latest() (version int64, window time.Duration) {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	return m.t.version, m.t.window
}

// follow publishes the topic's store changes until its subscription is closed.
func (h *Hub) follow(t *topic) {
	var changes []store.Change
	for range t.sub.Ready() {
		changes = t.sub.Take(changes[:0])
		for _, c := range changes {
			t.publish(c.Version, h.cfg)
		}
	}
}

// publish records version and wakes every member without waiting for any.
func (t *topic) publish(version int64, cfg Config) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if version <= t.version {
		return
	}
	t.version = version
	t.window = cfg.window(t.streams)
	for m := range t.members {
		select {
		case m.notify <- struct{}{}:
		default: // already signalled; it reads the latest version when it wakes
		}
	}
}
