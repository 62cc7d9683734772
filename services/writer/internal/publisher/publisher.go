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
	outbox         Outbox
	js             jetstream.JetStream
	stream         Stream
	poll           time.Duration
	reconcileEvery time.Duration
	noCatalog      bool
	log            *zap.Logger
	published      func(envID, version int64, bytes int)
	observer       Observer
	signing        *signing // nil: snapshots go unsigned
	pauseStep      string   // PauseAt: tests only
	pause          func(ctx context.Context, step string, envID, version int64)

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
	p := &Publisher{outbox: outbox, js: js, stream: stream, poll: DefaultPollInterval, reconcileEvery: DefaultReconcileInterval, log: log, observer: nopObserver{},
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
// until ctx ends. Changes made while one notification is being sent share the next one. A notification due
// when ctx ends is still sent (within finishGrace): stopped after Run, Notify hands the changes Run left
// unpublished to the other writers.
func (p *Publisher) Notify(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			p.notifyLast(ctx)
			return nil
		case <-p.tell:
		}
		if err := p.outbox.Notify(ctx, p.id); err != nil && ctx.Err() == nil {
			p.log.Warn("cannot notify other writers; they will poll", zap.Error(err))
		}
	}
}

// notifyLast sends the notification due when Notify stops, if one is.
func (p *Publisher) notifyLast(ctx context.Context) {
	select {
	case <-p.tell:
	default:
		return
	}
	last, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishGrace)
	defer cancel()
	if err := p.outbox.Notify(last, p.id); err != nil {
		p.log.Warn("cannot notify other writers while stopping; they will poll", zap.Error(err))
	}
}

// finishGrace bounds the work the publisher finishes after its context ends: the publish in flight, and the
// last notification.
const finishGrace = 10 * time.Second

// Start ensures the stream exists with Halyard's configuration; call it before Run.
func (p *Publisher) Start(ctx context.Context) (err error) {
	p.st, err = Ensure(ctx, p.js, p.stream)
	return err
}

// Run publishes pending changes until ctx ends: at once, after each change this writer commits, on every
// notification from another writer, and on a polling interval in case a notification was missed (e.g.
// while the listening connection was down). After this writer's own changes it publishes the environments it
// changed without scanning the outbox; every other wake-up scans it. When ctx ends, the environment being
// published is finished (within finishGrace) rather than cut half-way, no other one is started, and what is
// left is for Notify to hand over.
func (p *Publisher) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	go p.listen(ctx, wake)
	var reconciling sync.WaitGroup
	reconciling.Go(func() { p.reconcileLoop(ctx) })
	defer reconciling.Wait()
	tick := time.NewTicker(p.poll)
	defer tick.Stop()
	p.running.Store(true)
	defer p.handOver()
	work, stop := outliving(ctx, finishGrace)
	defer stop()
	scan := true
	for {
		envs := p.takeChanged()
		var err error
		if scan {
			envs, err = p.outbox.Pending(work)
		}
		if err == nil {
			err = p.drain(ctx, work, envs)
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

// handOver marks the publisher stopped and, when changes this writer committed are left unpublished, has
// Notify tell the other writers.
func (p *Publisher) handOver() {
	p.running.Store(false)
	p.mu.Lock()
	left := len(p.changed) > 0
	p.mu.Unlock()
	if left {
		signal(p.tell)
	}
}

// outliving returns a context for I/O that ends grace after ctx does, and a function releasing it.
func outliving(ctx context.Context, grace time.Duration) (context.Context, func()) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return work, func() { stop(); cancel() }
}

// drain publishes each environment's pending outbox rows with work's deadline, starting none after ctx ends
// (those it skips stay pending).
func (p *Publisher) drain(ctx, work context.Context, envs []int64) error {
	var errs []error
	published := false
	defer func() {
		if published {
			if err := p.publishCatalog(work); err != nil {
				p.log.Warn("cannot publish the catalog; the reconciler will", zap.Error(err))
			}
		}
	}()
	for i, env := range envs {
		if ctx.Err() != nil {
			p.requeue(envs[i:])
			break
		}
		locked, err := p.publishEnv(work, env)
		published = published || (err == nil && locked)
		if err != nil {
			errs = append(errs, fmt.Errorf("environment %d: %w", env, err))
		} else if !locked {
			signal(p.tell) // the holder may have read the environment before our change: wake it again
		}
	}
	return errors.Join(errs...)
}

// requeue has environments this writer changed published at the next drain, or handed over at stop.
func (p *Publisher) requeue(envs []int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, env := range envs {
		p.changed[env] = true
	}
}
