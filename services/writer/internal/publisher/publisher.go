package publisher

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Publisher drains the outbox into JetStream.
type Publisher struct {
	outbox    Outbox
	js        jetstream.JetStream
	stream    Stream
	poll      time.Duration
	log       *zap.Logger
	published func(envID, version int64, bytes int)
	observer  Observer

	st jetstream.Stream
	id string // this publisher's NOTIFY payload, to ignore its own notifications

	wake    chan struct{} // this writer committed a change: drain now
	tell    chan struct{} // other writers must publish what this one could not: NOTIFY them
	running atomic.Bool   // Run is draining
	mu      sync.Mutex
	changed map[int64]bool // environments this writer changed since the last drain
}

// Option configures a Publisher.
type Option func(*Publisher)

// DefaultPollInterval is how often the outbox is scanned when no PollInterval option is given.
const DefaultPollInterval = time.Second

// PollInterval sets how often the outbox is scanned for changes no notification announced.
func PollInterval(d time.Duration) Option {
	return func(p *Publisher) {
		if d > 0 {
			p.poll = d
		}
	}
}

// OnPublished has fn called after each acknowledged publish (metrics and tests).
func OnPublished(fn func(envID, version int64, bytes int)) Option {
	return func(p *Publisher) { p.published = fn }
}

// New returns a publisher of outbox's changes to stream through js. It registers with outbox (OnCommit) to
// hear of every change this writer commits, so there is one publisher per outbox.
func New(outbox Outbox, js jetstream.JetStream, stream Stream, log *zap.Logger, opts ...Option) *Publisher {
	var b [8]byte
	_, _ = rand.Read(b[:])
	p := &Publisher{outbox: outbox, js: js, stream: stream, poll: DefaultPollInterval, log: log, observer: nopObserver{},
		id:   "writer-" + hex.EncodeToString(b[:]),
		wake: make(chan struct{}, 1), tell: make(chan struct{}, 1), changed: map[int64]bool{}}
	for _, opt := range opts {
		opt(p)
	}
	outbox.OnCommit(p.committed)
	return p
}

// committed hears that this writer committed a change of the environment: its own drain runs at once.
// Other writers are told (Notify) only when this one cannot publish it: its publisher is not running, a
// drain failed, or another writer holds the environment's publish lock (and may have read the environment
// before this change). It never blocks.
func (p *Publisher) committed(envID int64) {
	p.mu.Lock()
	p.changed[envID] = true
	p.mu.Unlock()
	signal(p.wake)
	if !p.running.Load() {
		signal(p.tell)
	}
}

func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default: // already due; it will see this change too
	}
}

// Notify wakes other writers' publishers when changes this writer committed need them (see committed),
// until ctx ends. Changes made while one notification is being sent share the next one.
func (p *Publisher) Notify(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.tell:
		}
		if err := p.outbox.Notify(ctx, p.id); err != nil && ctx.Err() == nil {
			p.log.Warn("cannot notify other writers; they will poll", zap.Error(err))
		}
	}
}

// Start ensures the stream exists with Halyard's configuration; call it before Run.
func (p *Publisher) Start(ctx context.Context) (err error) {
	p.st, err = Ensure(ctx, p.js, p.stream)
	return err
}

// Run publishes pending changes until ctx ends: at once, after each change this writer commits, on every
// notification from another writer, and on a polling interval in case a notification was missed (e.g.
// while the listening connection was down). After this writer's own changes it publishes the environments it
// changed without scanning the outbox; every other wake-up scans it.
func (p *Publisher) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	go p.listen(ctx, wake)
	tick := time.NewTicker(p.poll)
	defer tick.Stop()
	p.running.Store(true)
	defer p.running.Store(false)
	scan := true
	for {
		envs := p.takeChanged()
		var err error
		if scan {
			envs, err = p.outbox.Pending(ctx)
		}
		if err == nil {
			err = p.drain(ctx, envs)
		}
		if err != nil && ctx.Err() == nil {
			p.log.Warn("outbox drain failed; will retry", zap.Error(err))
			signal(p.tell)
		}
		scan = err != nil // a failed drain is retried by a full scan at the next wake-up
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
			scan = true
		case <-p.wake:
		case <-tick.C:
			scan = true
		}
	}
}

// takeChanged returns and forgets the environments this writer changed since the last call.
func (p *Publisher) takeChanged() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	envs := make([]int64, 0, len(p.changed))
	for env := range p.changed {
		envs = append(envs, env)
	}
	clear(p.changed)
	return envs
}

// listen turns other writers' notifications into wake-ups, reconnecting after failures.
func (p *Publisher) listen(ctx context.Context, wake chan<- struct{}) {
	notified := func(payload string) {
		if payload != p.id { // this writer's own change: committed already woke the drain
			signal(wake)
		}
	}
	for ctx.Err() == nil {
		err := p.outbox.Listen(ctx, notified)
		if ctx.Err() != nil {
			return
		}
		p.log.Warn("outbox listener lost; polling until it is back", zap.Error(err))
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// drain publishes each environment's pending outbox rows.
func (p *Publisher) drain(ctx context.Context, envs []int64) error {
	var errs []error
	for _, env := range envs {
		locked, err := p.publishEnv(ctx, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("environment %d: %w", env, err))
		} else if !locked {
			signal(p.tell) // the holder may have read the environment before our change: wake it again
		}
	}
	return errors.Join(errs...)
}
