package publisher

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Publisher drains the outbox into JetStream.
type Publisher struct {
	DB           *postgres.DB
	JS           jetstream.JetStream
	Stream       Stream
	PollInterval time.Duration
	Log          *zap.Logger
	// Published, when set, is called after each acknowledged publish (metrics and tests).
	Published func(envID, version int64, bytes int)

	st jetstream.Stream
	id string // this publisher's NOTIFY payload, to ignore its own notifications

	initOnce sync.Once
	wake     chan struct{} // this writer committed a change: drain now
	tell     chan struct{} // other writers must publish what this one could not: NOTIFY them
	running  atomic.Bool   // Run is draining
	mu       sync.Mutex
	changed  map[int64]bool // environments this writer changed since the last drain
}

func (p *Publisher) init() {
	p.initOnce.Do(func() {
		p.wake = make(chan struct{}, 1)
		p.tell = make(chan struct{}, 1)
		p.changed = map[int64]bool{}
		var b [8]byte
		_, _ = rand.Read(b[:])
		p.id = "writer-" + hex.EncodeToString(b[:])
	})
}

// Committed tells the publisher that this writer committed a change of the environment: its own drain runs
// at once. Other writers are told (Notify) only when this one cannot publish it: its publisher is not
// running, a drain failed, or another writer holds the environment's publish lock (and may have read the
// environment before this change). It never blocks.
func (p *Publisher) Committed(envID int64) {
	p.init()
	p.mu.Lock()
	p.changed[envID] = true
	p.mu.Unlock()
	signal(p.wake)
	if !p.running.Load() {
		signal(p.tell)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // already due; it will see this change too
	}
}

// Notify sends NOTIFY halyard_outbox when changes this writer committed need other writers' publishers
// (see Committed), until ctx ends. Changes made while one notification is being sent share the next one. The NOTIFY is sent in its own transaction with synchronous_commit off: it
// is a hint (publishers also poll), and sending it in the change's own transaction would make every commit
// wait on PostgreSQL's single notification lock, held through the WAL flush.
func (p *Publisher) Notify(ctx context.Context) error {
	p.init()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.tell:
		}
		if _, err := p.DB.Pool.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`,
			postgres.OutboxChannel, p.id); err != nil && ctx.Err() == nil {
			p.Log.Warn("cannot notify other writers; they will poll", zap.Error(err))
		}
	}
}

// Start ensures the stream exists with Halyard's configuration; call it before Run.
func (p *Publisher) Start(ctx context.Context) (err error) {
	p.st, err = Ensure(ctx, p.JS, p.Stream)
	return err
}

// Run publishes pending changes until ctx ends: at once, after each change this writer commits, on every
// NOTIFY from another writer, and on a polling interval in case a notification was missed (e.g. while the
// listening connection was down). After this writer's own changes it publishes the environments it changed
// without scanning the outbox; every other wake-up scans it.
func (p *Publisher) Run(ctx context.Context) error {
	p.init()
	wake := make(chan struct{}, 1)
	go p.listen(ctx, wake)
	tick := time.NewTicker(p.PollInterval)
	defer tick.Stop()
	p.running.Store(true)
	defer p.running.Store(false)
	scan := true
	for {
		envs := p.takeChanged()
		var err error
		if scan {
			envs, err = p.DB.PendingEnvironments(ctx)
		}
		if err == nil {
			err = p.drain(ctx, envs)
		}
		if err != nil && ctx.Err() == nil {
			p.Log.Warn("outbox drain failed; will retry", zap.Error(err))
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

// listen turns Postgres notifications into wake-ups, reconnecting after failures.
func (p *Publisher) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := p.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		p.Log.Warn("outbox listener lost; polling until it is back", zap.Error(err))
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (p *Publisher) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	conn, err := p.DB.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+postgres.OutboxChannel); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN *") //nolint:errcheck
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == p.id {
			continue // this writer's own change: Committed already woke the drain
		}
		select {
		case wake <- struct{}{}:
		default: // a drain is already due; it will see this change too
		}
	}
}

// drain publishes each environment's pending outbox rows.
func (p *Publisher) drain(ctx context.Context, envs []int64) error {
	var errs []error
	for _, env := range envs {
		err := p.DB.WithPublishLock(ctx, env, func(conn *pgx.Conn) error { return p.publishEnv(ctx, conn, env) })
		if errors.Is(err, postgres.ErrLocked) {
			signal(p.tell) // the holder may have read the environment before our change: wake it again
		} else if err != nil {
			errs = append(errs, fmt.Errorf("environment %d: %w", env, err))
		}
	}
	return errors.Join(errs...)
}

// publishEnv publishes the environment's current snapshot (covering every pending change at once) and marks
// the outbox rows it covers.
func (p *Publisher) publishEnv(ctx context.Context, conn *pgx.Conn, envID int64) error {
	snap, recorded, err := postgres.ReadSnapshot(ctx, conn, envID, p.Stream.Name)
	if err != nil {
		return err
	}
	last, published, err := p.publish(ctx, snap, recorded)
	if err != nil {
		return err
	}
	n, err := p.DB.MarkPublished(ctx, conn, envID, p.Stream.Name, last)
	if err != nil {
		return err
	}
	p.Log.Debug("published snapshot", zap.Int64("environment", envID), zap.Int64("version", snap.Version),
		zap.Int("bytes", published), zap.Int64("outbox_rows", n))
	if p.Published != nil && published > 0 {
		p.Published(envID, snap.Version, published)
	}
	return nil
}

// publish sends the snapshot unless the stream already holds this version or a newer one. It returns the
// subject's last message afterwards and the bytes published (0 when it had nothing to do). recorded is the
// last publication recorded in PostgreSQL (by this writer or another, under the same publish lock): when
// there is one older than the snapshot, the publish expects its sequence without asking the stream; when
// there is none, when it is not older, or when the stream refuses the publish (the record is stale), the
// subject's last message is asked from the stream.
func (p *Publisher) publish(ctx context.Context, snap *wire.Snapshot, recorded postgres.Published) (postgres.Published, int, error) {
	subject := p.Stream.Subject(snap.EnvironmentID)
	last, known := recorded, recorded.Sequence > 0 && recorded.Version < snap.Version
	for {
		if !known {
			var err error
			if last, err = p.lastPublished(ctx, subject); err != nil {
				return last, 0, err
			}
		}
		now, n, err := p.publishAfter(ctx, subject, last, snap)
		if err == nil || !known {
			return now, n, err
		}
		known = false // the record is stale (e.g. the stream was recreated): ask the stream and try once more
	}
}

// publishAfter publishes the snapshot expecting last to be the subject's last message, and returns the
// subject's last message afterwards.
func (p *Publisher) publishAfter(ctx context.Context, subject string, last postgres.Published, snap *wire.Snapshot) (postgres.Published, int, error) {
	if last.Version >= snap.Version {
		return last, 0, nil
	}
	snap.PublishedAt = time.Now().UnixMilli()
	data, err := wire.Encode(snap)
	if err != nil {
		return last, 0, err
	}
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(HeaderVersion, strconv.FormatInt(snap.Version, 10))
	msg.Header.Set(HeaderEnvironment, strconv.FormatInt(snap.EnvironmentID, 10))
	ack, err := p.JS.PublishMsg(ctx, msg,
		jetstream.WithMsgID(fmt.Sprintf("env-%d-v%d", snap.EnvironmentID, snap.Version)),
		jetstream.WithExpectLastSequencePerSubject(last.Sequence))
	if err != nil {
		return last, 0, fmt.Errorf("publish %s v%d: %w", subject, snap.Version, err)
	}
	return postgres.Published{Sequence: ack.Sequence, Version: snap.Version}, len(data), nil
}

// lastPublished returns the stream sequence and version of the subject's last snapshot (zero when none).
func (p *Publisher) lastPublished(ctx context.Context, subject string) (postgres.Published, error) {
	m, err := p.st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return postgres.Published{}, nil
	}
	if err != nil {
		return postgres.Published{}, err
	}
	v, err := strconv.ParseInt(m.Header.Get(HeaderVersion), 10, 64)
	if err != nil {
		return postgres.Published{}, fmt.Errorf("last message of %s has no valid %s header: %w", subject, HeaderVersion, err)
	}
	return postgres.Published{Sequence: m.Sequence, Version: v}, nil
}
