package streams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
)

func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		streams int
		want    time.Duration
	}{
		{"never spread", Config{Stagger: 0, RefetchRate: 100}, 100000, 0},
		{"one stream", Config{Stagger: time.Second, RefetchRate: 20000}, 1, 50 * time.Microsecond},
		{"proportional to the streams", Config{Stagger: time.Second, RefetchRate: 20000}, 10000, 500 * time.Millisecond},
		{"capped by the stagger", Config{Stagger: time.Second, RefetchRate: 20000}, 100000, time.Second},
		{"no streams", Config{Stagger: time.Second, RefetchRate: 20000}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.cfg.window(tc.streams)); diff != "" {
				t.Errorf("window(%d) mismatch (-want +got):\n%s", tc.streams, diff)
			}
		})
	}
}

// TestOneSubscriptionPerEnvironment: streams of one environment share its topic (one store subscription);
// the last one out closes it.
func TestOneSubscriptionPerEnvironment(t *testing.T) {
	st := store.New()
	h := runHub(t, st, Config{})
	var members []*Member
	for i := range 100 {
		m, err := h.Join(int64(1 + i%2))
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	topics := func() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.topics) }
	if got := topics(); got != 2 {
		t.Fatalf("%d topics for 2 environments", got)
	}
	if h.Open() != 100 {
		t.Fatalf("Open() = %d, want 100", h.Open())
	}
	for _, m := range members {
		m.Leave()
		m.Leave() // harmless
	}
	if got := topics(); got != 0 || h.Open() != 0 {
		t.Fatalf("after every member left: %d topics, %d open", got, h.Open())
	}
}

// TestPublishCoalesces: a member that does not read while versions pile up gets one signal and the
// latest version.
func TestPublishCoalesces(t *testing.T) {
	st := store.New()
	apply(t, st, 1, 1)
	h := runHub(t, st, Config{})
	m, err := h.Join(1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave()
	for v := int64(2); v <= 5; v++ {
		apply(t, st, 1, v)
	}
	checkFor(t, 5*time.Second, func() string {
		if v, _ := m.Latest(); v != 5 {
			return fmt.Sprintf("latest v%d", v)
		}
		return ""
	})
	<-m.Changes()
	select {
	case <-m.Changes():
		t.Fatal("a second signal for the same pile of versions")
	default:
	}
}

func TestJoinRefusesPastMaxAndAfterShutdown(t *testing.T) {
	st := store.New()
	h := NewHub(st, Config{MaxStreams: 2})
	ctx, cancel := context.WithCancel(context.Background())
	go h.Run(ctx)
	var members []*Member
	for range 2 {
		m, err := h.Join(1)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	if _, err := h.Join(1); !errors.Is(err, ErrFull) {
		t.Fatalf("third stream: %v, want ErrFull", err)
	}
	members[0].Leave()
	cancel()
	<-h.Done()
	checkFor(t, time.Second, func() string {
		if _, err := h.Join(2); !errors.Is(err, ErrClosed) {
			return fmt.Sprintf("after shutdown: %v", err)
		}
		return ""
	})
}

// TestServeAnnouncesEachChange: a stream announces every version it is woken for, latest first when they
// pile up.
func TestServeAnnouncesEachChange(t *testing.T) {
	st := store.New()
	apply(t, st, 1, 1)
	h := runHub(t, st, Config{})
	s := serve(t, h, 1, NewOFREP("1"))
	if f := s.next(t, time.Second); f != "retry: "+f[len("retry: "):] || !strings.HasPrefix(f, "retry: ") {
		t.Fatalf("first frame %q, want a retry hint", f)
	}
	for v := int64(2); v <= 4; v++ {
		apply(t, st, 1, v)
		s.nextMatching(t, time.Second, fmt.Sprintf("id: %d\n", v))
	}
}

// TestSlowClientDoesNotBlockOthers: a client that takes no write holds back nobody else's announcements.
func TestSlowClientDoesNotBlockOthers(t *testing.T) {
	st := store.New()
	apply(t, st, 1, 1)
	h := runHub(t, st, Config{WriteTimeout: time.Hour})
	stuck := &blockedWriter{header: http.Header{}, took: make(chan struct{}), blocked: make(chan struct{}), release: make(chan struct{})}
	defer close(stuck.release)
	m, err := h.Join(1)
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(context.Background(), stuck, m, NewOFREP("1"))
	<-stuck.took // the stream started at v1
	var others []*stream
	for range 20 {
		others = append(others, serve(t, h, 1, NewOFREP("1")))
	}
	apply(t, st, 1, 2)
	<-stuck.blocked
	for v := int64(3); v <= 5; v++ {
		apply(t, st, 1, v)
		for _, s := range others {
			s.nextMatching(t, 2*time.Second, fmt.Sprintf("id: %d\n", v))
		}
	}
}

// TestServeEnds: a stream ends when its client goes, when the hub shuts down, and after its lifetime
// (with a reconnect hint); each time it leaves its topic.
func TestServeEnds(t *testing.T) {
	t.Run("client gone", func(t *testing.T) {
		st := store.New()
		apply(t, st, 1, 1)
		h := runHub(t, st, Config{})
		s := serve(t, h, 1, NewOFREP("1"))
		s.next(t, time.Second)
		s.cancel()
		waitEnded(t, s, h)
	})
	t.Run("shutdown", func(t *testing.T) {
		st := store.New()
		apply(t, st, 1, 1)
		h := NewHub(st, Config{})
		ctx, cancel := context.WithCancel(context.Background())
		go h.Run(ctx)
		s := serve(t, h, 1, NewOFREP("1"))
		s.next(t, time.Second)
		cancel()
		waitEnded(t, s, h)
	})
	t.Run("lifetime", func(t *testing.T) {
		st := store.New()
		apply(t, st, 1, 1)
		h := runHub(t, st, Config{MaxLifetime: 50 * time.Millisecond})
		s := serve(t, h, 1, NewOFREP("1"))
		s.next(t, time.Second)
		if f := s.next(t, time.Second); !strings.HasPrefix(f, ": reconnect\nretry: ") {
			t.Fatalf("last frame %q, want a reconnect hint", f)
		}
		waitEnded(t, s, h)
	})
}

func waitEnded(tb testing.TB, s *stream, h *Hub) {
	tb.Helper()
	select {
	case <-s.done:
	case <-time.After(2 * time.Second):
		tb.Fatal("Serve did not return")
	}
	if h.Open() != 0 {
		tb.Fatalf("%d streams still open", h.Open())
	}
}

func TestHeartbeat(t *testing.T) {
	st := store.New()
	apply(t, st, 1, 1)
	h := runHub(t, st, Config{Heartbeat: 20 * time.Millisecond})
	s := serve(t, h, 1, NewOFREP("1"))
	s.next(t, time.Second) // retry
	for range 3 {
		if f := s.next(t, time.Second); f != ": ping" {
			t.Fatalf("frame %q, want a heartbeat comment", f)
		}
	}
}

// TestStaggerBounds: one change to n streams of an environment is announced to each within the window
// (n ÷ RefetchRate, capped by Stagger), and spread over it rather than all at once.
func TestStaggerBounds(t *testing.T) {
	const n = 50
	st := store.New()
	apply(t, st, 1, 1)
	h := runHub(t, st, Config{Stagger: time.Second, RefetchRate: n / 0.2}) // a 200 ms window
	var ss []*stream
	for range n {
		s := serve(t, h, 1, NewOFREP("1"))
		s.next(t, time.Second)
		ss = append(ss, s)
	}
	start := time.Now()
	apply(t, st, 1, 2)
	var mu sync.Mutex
	var first, last time.Duration
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.nextMatching(t, 2*time.Second, "id: 2\n")
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if first == 0 || d < first {
				first = d
			}
			last = max(last, d)
		}()
	}
	wg.Wait()
	if _, w := ss[0].member(h); w != 200*time.Millisecond {
		t.Fatalf("window %s, want 200ms", w)
	}
	if last > 200*time.Millisecond+150*time.Millisecond {
		t.Errorf("the last stream was told after %s, past the 200 ms window", last)
	}
	if last-first < 50*time.Millisecond {
		t.Errorf("every stream was told within %s: not spread", last-first)
	}
}

// member is the topic's latest publication, read through any member of env 1.
func (s *stream) member(h *Hub) (int64, time.Duration) {
	h.mu.Lock()
	t := h.topics[1]
	h.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.version, t.window
}

func TestWaitFor(t *testing.T) {
	st := store.New()
	apply(t, st, 1, 1)
	h := runHub(t, st, Config{})
	atLeast := func(v int64) func(*store.Env) bool { return func(e *store.Env) bool { return e.Version >= v } }
	if env, err := h.WaitFor(context.Background(), 1, time.Millisecond, atLeast(1)); err != nil || env.Version != 1 {
		t.Fatalf("already there: %v, %v", env, err)
	}
	if _, err := h.WaitFor(context.Background(), 1, 20*time.Millisecond, atLeast(2)); !errors.Is(err, ErrNotYet) {
		t.Fatalf("never applied: %v, want ErrNotYet", err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond) // the apply must come while WaitFor waits
		apply(t, st, 1, 2)
		apply(t, st, 1, 3)
	}()
	env, err := h.WaitFor(context.Background(), 1, 5*time.Second, atLeast(3))
	if err != nil || env.Version != 3 {
		t.Fatalf("applied while waiting: %v, %v", env, err)
	}
	if h.Open() != 0 {
		t.Fatalf("a waiter counts as an open stream")
	}
}
