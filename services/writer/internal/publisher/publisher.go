package publisher

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
}

// Start ensures the stream exists with Halyard's configuration; call it before Run.
func (p *Publisher) Start(ctx context.Context) (err error) {
	p.st, err = Ensure(ctx, p.JS, p.Stream)
	return err
}

// Run publishes pending changes until ctx ends: at once, on every NOTIFY from a commit, and on a polling
// interval in case a notification was missed (e.g. while the listening connection was down).
func (p *Publisher) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	go p.listen(ctx, wake)
	tick := time.NewTicker(p.PollInterval)
	defer tick.Stop()
	for {
		if err := p.drain(ctx); err != nil && ctx.Err() == nil {
			p.Log.Warn("outbox drain failed; will retry", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick.C:
		}
	}
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
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default: // a drain is already due; it will see this change too
		}
	}
}

// drain publishes every environment that has pending outbox rows.
func (p *Publisher) drain(ctx context.Context) error {
	envs, err := p.DB.PendingEnvironments(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, env := range envs {
		err := p.DB.WithPublishLock(ctx, env, func(conn *pgx.Conn) error { return p.publishEnv(ctx, conn, env) })
		if err != nil && !errors.Is(err, postgres.ErrLocked) {
			errs = append(errs, fmt.Errorf("environment %d: %w", env, err))
		}
	}
	return errors.Join(errs...)
}

// publishEnv publishes the environment's current snapshot (covering every pending change at once) and marks
// the outbox rows it covers.
func (p *Publisher) publishEnv(ctx context.Context, conn *pgx.Conn, envID int64) error {
	snap, err := postgres.ReadSnapshot(ctx, conn, envID)
	if err != nil {
		return err
	}
	published, err := p.publish(ctx, snap)
	if err != nil {
		return err
	}
	n, err := p.DB.MarkPublished(ctx, conn, envID, snap.Version)
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
// bytes published (0 when it had nothing to do).
func (p *Publisher) publish(ctx context.Context, snap *wire.Snapshot) (int, error) {
	subject := p.Stream.Subject(snap.EnvironmentID)
	lastSeq, lastVersion, err := p.lastPublished(ctx, subject)
	if err != nil {
		return 0, err
	}
	if lastVersion >= snap.Version {
		return 0, nil
	}
	snap.PublishedAt = time.Now().UnixMilli()
	data, err := wire.Encode(snap)
	if err != nil {
		return 0, err
	}
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(HeaderVersion, strconv.FormatInt(snap.Version, 10))
	msg.Header.Set(HeaderEnvironment, strconv.FormatInt(snap.EnvironmentID, 10))
	_, err = p.JS.PublishMsg(ctx, msg,
		jetstream.WithMsgID(fmt.Sprintf("env-%d-v%d", snap.EnvironmentID, snap.Version)),
		jetstream.WithExpectLastSequencePerSubject(lastSeq))
	if err != nil {
		return 0, fmt.Errorf("publish %s v%d: %w", subject, snap.Version, err)
	}
	return len(data), nil
}

// lastPublished returns the stream sequence and version of the subject's last snapshot (0, 0 when none).
func (p *Publisher) lastPublished(ctx context.Context, subject string) (uint64, int64, error) {
	m, err := p.st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	v, err := strconv.ParseInt(m.Header.Get(HeaderVersion), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("last message of %s has no valid %s header: %w", subject, HeaderVersion, err)
	}
	return m.Sequence, v, nil
}
