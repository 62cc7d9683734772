// Package natssub keeps the evaluator's store current from JetStream: at start it reads the last snapshot of
// every environment (an ordered consumer delivering the last message per subject), reports the initial
// catch-up, then follows live snapshots. Each snapshot is decoded and applied only if it is newer.
package natssub

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Follower feeds the store from the snapshot stream.
type Follower struct {
	js            jetstream.JetStream
	stream        string
	subjectPrefix string
	store         *store.Store
	log           *zap.Logger
	applied       func(envID, version int64, publishedAt time.Time)
	applyDelay    time.Duration

	// CaughtUp is set once every snapshot present at start has been applied; it is never cleared.
	CaughtUp atomic.Bool
}

// Option configures a Follower.
type Option func(*Follower)

// OnApplied has fn called for every snapshot applied (metrics, tests).
func OnApplied(fn func(envID, version int64, publishedAt time.Time)) Option {
	return func(f *Follower) { f.applied = fn }
}

// ApplyDelay holds every snapshot for d before applying it. It exists for tests of read-your-writes, which
// need one evaluator behind the others; the configuration refuses it outside loopback (config.TestApplyDelay).
func ApplyDelay(d time.Duration) Option {
	return func(f *Follower) { f.applyDelay = d }
}

// New returns a follower of the snapshots published on stream under subjectPrefix, feeding st.
func New(js jetstream.JetStream, stream, subjectPrefix string, st *store.Store, log *zap.Logger, opts ...Option) *Follower {
	f := &Follower{js: js, stream: stream, subjectPrefix: subjectPrefix, store: st, log: log}
	for _, opt := range opts {
		opt(f)
	}
	return f
}

// Run follows the stream until ctx ends. It waits (retrying) for the stream to exist.
func (f *Follower) Run(ctx context.Context) error {
	st, err := f.waitForStream(ctx)
	if err != nil || st == nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("natssub: stream info: %w", err)
	}
	startSeq := info.State.LastSeq
	if info.State.Msgs == 0 {
		f.markCaughtUp(0)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{f.subjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return fmt.Errorf("natssub: consumer: %w", err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) { f.handle(msg, startSeq) })
	if err != nil {
		return fmt.Errorf("natssub: consume: %w", err)
	}
	<-ctx.Done()
	cc.Stop()
	return nil
}

func (f *Follower) waitForStream(ctx context.Context) (jetstream.Stream, error) {
	for {
		st, err := f.js.Stream(ctx, f.stream)
		if err == nil {
			return st, nil
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) {
			f.log.Warn("cannot reach the snapshot stream yet; retrying", zap.Error(err))
		} else {
			f.log.Info("snapshot stream does not exist yet; waiting for a writer to create it", zap.String("stream", f.stream))
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (f *Follower) handle(msg jetstream.Msg, startSeq uint64) {
	meta, err := msg.Metadata()
	if err != nil {
		f.log.Error("snapshot message without metadata", zap.Error(err))
		return
	}
	if f.applyDelay > 0 {
		time.Sleep(f.applyDelay) // the injected lag itself, not a wait for a condition
	}
	f.apply(msg.Subject(), msg.Data())
	if !f.CaughtUp.Load() && (meta.Sequence.Stream >= startSeq || meta.NumPending == 0) {
		f.markCaughtUp(meta.Sequence.Stream)
	}
}

func (f *Follower) apply(subject string, data []byte) {
	snap, err := wire.Decode(data)
	if err != nil {
		// A snapshot this build cannot read is skipped; the environment keeps serving its last good state.
		f.log.Error("cannot decode snapshot; keeping the previous state", zap.String("subject", subject), zap.Error(err))
		return
	}
	if !f.store.Apply(snap) {
		return
	}
	published := time.UnixMilli(snap.PublishedAt)
	f.log.Debug("applied snapshot", zap.Int64("environment", snap.EnvironmentID), zap.Int64("version", snap.Version),
		zap.Int("flags", len(snap.Flags)), zap.Duration("lag", time.Since(published)))
	if f.applied != nil {
		f.applied(snap.EnvironmentID, snap.Version, published)
	}
}

func (f *Follower) markCaughtUp(seq uint64) {
	if f.CaughtUp.CompareAndSwap(false, true) {
		f.log.Info("initial catch-up done", zap.Uint64("stream_seq", seq), zap.Int("environments", len(f.store.All())))
	}
}
