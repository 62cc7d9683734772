// Package natssub keeps the evaluator's store current from JetStream: at start it reads the last snapshot of
// every environment (an ordered consumer delivering the last message per subject), reports the initial
// catch-up, then follows live snapshots. Each snapshot is decoded and applied only if it is newer and
// belongs to its subject's environment; an Observer hears of every snapshot applied or rejected.
package natssub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/snapsig"
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
	observer      Observer
	rejections    rejectionLog
	onCatalog     func(*wire.Catalog)
	verifier      *snapsig.Verifier // nil: signatures are not checked

	// CaughtUp is set once every snapshot present at start has been applied and every environment of the
	// writers' catalog (if any) is held at or above its catalogued version; it is never cleared.
	CaughtUp       atomic.Bool
	streamCaughtUp atomic.Bool // every snapshot present at start applied
	catalog        atomic.Pointer[wire.Catalog]
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

// Observe has o told of every snapshot applied or rejected.
func Observe(o Observer) Option {
	return func(f *Follower) { f.observer = o }
}

// New returns a follower of the snapshots published on stream under subjectPrefix, feeding st.
func New(js jetstream.JetStream, stream, subjectPrefix string, st *store.Store, log *zap.Logger, opts ...Option) *Follower {
	f := &Follower{js: js, stream: stream, subjectPrefix: subjectPrefix, store: st, log: log, observer: nopObserver{},
		rejections: rejectionLog{last: map[int64]rejection{}}}
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
		FilterSubjects: []string{f.subjectPrefix + ".*"}, // snapshots and the catalog; chunks are fetched
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return fmt.Errorf("natssub: consumer: %w", err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) { f.handle(ctx, st, msg, startSeq) })
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

func (f *Follower) handle(ctx context.Context, st jetstream.Stream, msg jetstream.Msg, startSeq uint64) {
	meta, err := msg.Metadata()
	if err != nil {
		f.log.Error("snapshot message without metadata", zap.Error(err))
		return
	}
	if f.applyDelay > 0 {
		time.Sleep(f.applyDelay) // the injected lag itself, not a wait for a condition
	}
	switch {
	case !f.verified(msg): // rejected
	case f.isCatalog(msg.Subject()):
		f.takeCatalog(msg.Data())
	default:
		f.traceApply(msg, func() applied {
			return f.apply(ctx, st, msg.Subject(), msg.Headers().Get("Halyard-Version"), msg.Data())
		})
	}
	if !f.streamCaughtUp.Load() && (meta.Sequence.Stream >= startSeq || meta.NumPending == 0) {
		f.markCaughtUp(meta.Sequence.Stream)
	}
	f.checkReady()
}

// apply decodes a snapshot (reassembling it from st's chunks when data is a manifest) and applies it if it
// belongs to its subject's environment and is newer than what the store holds. A snapshot it cannot or must
// not apply is skipped: the environment keeps serving its last good state. version is the message's
// Halyard-Version header, for the log of a snapshot that cannot be read. It returns what it did, for the
// apply span.
func (f *Follower) apply(ctx context.Context, st jetstream.Stream, subject, version string, data []byte) applied {
	start := time.Now()
	subjectEnv, named := f.environmentOf(subject)
	snap, refused, err := f.decode(ctx, st, subjectEnv, version, data)
	if refused != nil {
		return f.reject(*refused, subject, err)
	}
	if !named || snap.EnvironmentID != subjectEnv {
		return f.reject(rejection{env: subjectEnv, version: snap.Version, reason: RejectWrongEnvironment}, subject,
			fmt.Errorf("the snapshot is environment %d's", snap.EnvironmentID))
	}
	if !f.store.Apply(snap) {
		if f.confirmed(snap) { // the version loaded from disk: now the stream's, as if applied
			return applied{env: snap.EnvironmentID, version: snap.Version, flags: len(snap.Flags), replayed: !f.streamCaughtUp.Load()}
		}
		return f.reject(rejection{env: snap.EnvironmentID, version: snap.Version, reason: RejectOlder}, subject, nil)
	}
	took := time.Since(start)
	published := time.UnixMilli(snap.PublishedAt)
	replayed := !f.streamCaughtUp.Load()
	f.log.Debug("applied snapshot", zap.Int64("environment", snap.EnvironmentID), zap.Int64("version", snap.Version),
		zap.Int("flags", len(snap.Flags)), zap.Duration("took", took), zap.Duration("lag", time.Since(published)))
	f.observer.Applied(snap, took, replayed)
	if f.applied != nil {
		f.applied(snap.EnvironmentID, snap.Version, published)
	}
	return applied{env: snap.EnvironmentID, version: snap.Version, flags: len(snap.Flags), replayed: replayed}
}

// environmentOf is the environment id a snapshot subject names (prefix.<id>).
func (f *Follower) environmentOf(subject string) (int64, bool) {
	rest, ok := strings.CutPrefix(subject, f.subjectPrefix)
	if !ok || len(rest) < 2 || rest[0] != '.' {
		return 0, false
	}
	id, err := strconv.ParseInt(rest[1:], 10, 64)
	return id, err == nil
}

func (f *Follower) markCaughtUp(seq uint64) {
	if f.streamCaughtUp.CompareAndSwap(false, true) {
		f.log.Info("initial catch-up done", zap.Uint64("stream_seq", seq), zap.Int("environments", len(f.store.All())),
			zap.Int("catalogued_missing", len(f.Missing())))
	}
	f.checkReady()
}
