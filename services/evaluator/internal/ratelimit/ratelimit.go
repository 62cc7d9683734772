// Package ratelimit is the evaluator's rate limit: a token bucket per key (an SDK or server key, or a client
// address), held in memory (each replica limits on its own, so a fleet of N replicas admits up to N times
// the rate).
package ratelimit

import (
	"hash/maphash"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const shards = 64

// PerKey limits each key to a rate with a burst. It is safe for concurrent use; keys not seen for a while are
// forgotten so that random tokens cannot grow the map without bound.
type PerKey struct {
	rate  rate.Limit
	burst int
	idle  time.Duration
	seed  maphash.Seed
	shard [shards]shard
	now   func() time.Time
}

type shard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter admitting perSecond requests per key on average, with bursts of burst.
func New(perSecond float64, burst int) *PerKey {
	l := &PerKey{rate: rate.Limit(perSecond), burst: max(burst, 1), idle: 5 * time.Minute, seed: maphash.MakeSeed(), now: time.Now}
	for i := range l.shard {
		l.shard[i].buckets = map[string]*bucket{}
	}
	return l
}

// Allow takes a token for key; when none is left it says how long until one is.
func (l *PerKey) Allow(key string) (bool, time.Duration) {
	s := &l.shard[maphash.String(l.seed, key)%shards]
	now := l.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now, l.idle)
	b, ok := s.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		s.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets buckets idle for longer than idle, at most once per idle period per shard. A forgotten
// bucket was full anyway (idle long enough to refill), so forgetting it changes no answer.
func (s *shard) sweep(now time.Time, idle time.Duration) {
	if now.Sub(s.swept) < idle {
		return
	}
	s.swept = now
	for k, b := range s.buckets {
		if now.Sub(b.seen) > idle {
			delete(s.buckets, k)
		}
	}
}
