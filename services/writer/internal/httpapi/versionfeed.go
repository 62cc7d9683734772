package httpapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// EventStore is what the events stream needs: environments' current versions, one or many at a time.
type EventStore interface {
	EnvironmentVersion(ctx context.Context, envID int64) (int64, error)
	EnvironmentVersions(ctx context.Context, envIDs []int64) (map[int64]int64, error)
}

// VersionFeed follows the versions of the environments that event streams are open on, and tells their
// streams when one changes. One poller serves every stream of the writer: each tick it reads the versions
// of all followed environments in one query on a pooled connection, so a stream holds no PostgreSQL
// connection and a thousand streams cost what one does; with no stream open it queries nothing. Polling
// also sees the changes other writers commit. Run must be running for streams to be told anything; when
// it ends (the writer shuts down), every stream ends.
type VersionFeed struct {
	store     EventStore
	log       *zap.Logger
	poll      time.Duration
	heartbeat time.Duration

	mu     sync.Mutex
	envs   map[int64]*envFeed
	closed bool
	done   chan struct{} // closed when Run returns
}

// envFeed is one followed environment: its last version seen and its streams.
type envFeed struct {
	version atomic.Int64
	subs    map[*subscription]struct{}
}

// subscription is one stream's place in an envFeed. changed holds at most one wake-up: a slow stream never
// holds the poller up, and it reads the latest version when it wakes, so changes coalesce.
type subscription struct {
	envID   int64
	feed    *envFeed
	changed chan struct{}
}

// FeedOption sets a VersionFeed's intervals.
type FeedOption func(*VersionFeed)

// FeedPoll sets how often the versions are read (default 500 ms: a change shows within about a second).
func FeedPoll(d time.Duration) FeedOption { return func(f *VersionFeed) { f.poll = d } }

// FeedHeartbeat sets how often an idle stream sends a comment (default 15 s), so that proxies and clients
// see it alive and the writer notices a client that went away.
func FeedHeartbeat(d time.Duration) FeedOption { return func(f *VersionFeed) { f.heartbeat = d } }

// NewVersionFeed returns a feed reading versions from store.
func NewVersionFeed(store EventStore, log *zap.Logger, opts ...FeedOption) *VersionFeed {
	f := &VersionFeed{store: store, log: log, poll: 500 * time.Millisecond, heartbeat: 15 * time.Second,
		envs: map[int64]*envFeed{}, done: make(chan struct{})}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Run polls until ctx ends, then ends every stream and refuses new ones.
func (f *VersionFeed) Run(ctx context.Context) {
	defer f.close()
	t := time.NewTicker(f.poll)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := f.pollOnce(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			f.log.Warn("event streams cannot read environment versions; retrying", zap.Error(err))
		case err == nil && failing:
			f.log.Info("event streams read environment versions again")
		}
		failing = err != nil
	}
}

// pollOnce reads the followed environments' versions and wakes the streams of those that moved.
func (f *VersionFeed) pollOnce(ctx context.Context) error {
	ids := f.followed()
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, max(f.poll, 5*time.Second))
	defer cancel()
	versions, err := f.store.EnvironmentVersions(ctx, ids)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, v := range versions {
		if e := f.envs[id]; e != nil && v > e.version.Load() {
			e.version.Store(v)
			for s := range e.subs {
				select {
				case s.changed <- struct{}{}:
				default: // already woken; it will read the latest version
				}
			}
		}
	}
	return nil
}

func (f *VersionFeed) followed() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]int64, 0, len(f.envs))
	for id := range f.envs {
		ids = append(ids, id)
	}
	return ids
}

// subscribe follows envID for one stream, known to be at version at least; false once the feed has ended.
func (f *VersionFeed) subscribe(envID, version int64) (*subscription, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, false
	}
	e := f.envs[envID]
	if e == nil {
		e = &envFeed{subs: map[*subscription]struct{}{}}
		f.envs[envID] = e
	}
	if version > e.version.Load() {
		e.version.Store(version)
	}
	s := &subscription{envID: envID, feed: e, changed: make(chan struct{}, 1)}
	e.subs[s] = struct{}{}
	return s, true
}

// unsubscribe ends a stream's subscription; an environment without streams is no longer followed.
func (f *VersionFeed) unsubscribe(s *subscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(s.feed.subs, s)
	if len(s.feed.subs) == 0 && f.envs[s.envID] == s.feed {
		delete(f.envs, s.envID)
	}
}

// streams counts the open streams of envID (tests wait on it).
func (f *VersionFeed) streams(envID int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e := f.envs[envID]; e != nil {
		return len(e.subs)
	}
	return 0
}

func (f *VersionFeed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	close(f.done)
}
