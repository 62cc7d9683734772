package publisher

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// DefaultReconcileInterval is how often the stream is reconciled when no ReconcileInterval option is given.
const DefaultReconcileInterval = time.Minute

// ReconcileInterval sets how often the stream is checked against the database (and repaired).
func ReconcileInterval(d time.Duration) Option {
	return func(p *Publisher) {
		if d > 0 {
			p.reconcileEvery = d
		}
	}
}

// reconcileTimeout bounds one pass: reading every subject's last headers and the database's versions.
const reconcileTimeout = time.Minute

// reconcileLoop reconciles at once, then every interval, until ctx ends.
func (p *Publisher) reconcileLoop(ctx context.Context) {
	tick := time.NewTicker(p.reconcileEvery)
	defer tick.Stop()
	for {
		pass, cancel := context.WithTimeout(ctx, reconcileTimeout)
		if err := p.Reconcile(pass); err != nil && ctx.Err() == nil {
			p.log.Warn("reconciling the stream with the database failed; will retry", zap.Error(err))
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Reconcile makes the stream hold every environment's current version: it re-creates the stream if it was
// deleted, reads the version on every environment subject's last message, and has every environment whose
// snapshot is missing, unreadable or older than the database's published again through the outbox (the
// normal path: an outbox row, then the drain). One writer reconciles at a time; the others skip the pass.
func (p *Publisher) Reconcile(ctx context.Context) error {
	if _, err := Ensure(ctx, p.js, p.stream); err != nil {
		return err
	}
	locked, err := p.outbox.Reconcile(ctx, func(current map[int64]int64) ([]int64, error) {
		onStream, err := p.lastVersions(ctx)
		if err != nil {
			return nil, err
		}
		return p.stale(current, onStream), nil
	})
	if err != nil {
		return fmt.Errorf("publisher.Reconcile: %w", err)
	}
	if !locked {
		p.log.Debug("another writer is reconciling")
		return nil
	}
	return p.publishCatalog(ctx)
}

// stale lists the environments whose snapshot on the stream is missing, unreadable (version -1) or older
// than their current version, counting each repair.
func (p *Publisher) stale(current, onStream map[int64]int64) []int64 {
	var out []int64
	for env, version := range current {
		got, ok := onStream[env]
		switch {
		case !ok:
			p.observer.Recovered(RecoveredMissing)
		case got < 0:
			p.observer.Recovered(RecoveredUnreadable)
		case got < version:
			p.observer.Recovered(RecoveredOlder)
		default:
			continue
		}
		out = append(out, env)
	}
	slices.Sort(out)
	if len(out) > 0 {
		p.log.Warn("the stream lacks environments' current snapshots; republishing them",
			zap.Int("environments", len(out)), zap.Int64s("first", out[:min(len(out), 20)]))
	}
	return out
}

// lastVersions reads the Halyard-Version header of every environment subject's last message (-1 when it has
// none that parses, names another environment, or lacks this writer's signature when it signs), with a
// headers-only ordered consumer: one pass over the stream's last messages without their bodies. A snapshot
// whose body is damaged under valid headers is not seen here; the publisher's own check of the last message
// (lastPublished) repairs it at the next change.
func (p *Publisher) lastVersions(ctx context.Context) (map[int64]int64, error) {
	out := map[int64]int64{}
	info, err := p.st.Info(ctx)
	if err != nil {
		return nil, err
	}
	if info.State.Msgs == 0 {
		return out, nil
	}
	cons, err := p.st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{p.stream.SubjectPrefix + ".*"}, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy,
		HeadersOnly: true})
	if err != nil {
		return nil, err
	}
	it, err := cons.Messages()
	if err != nil {
		return nil, err
	}
	defer it.Stop()
	defer context.AfterFunc(ctx, it.Stop)()
	for {
		msg, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("reading the stream's last messages: %w", err)
		}
		p.noteVersion(out, msg)
		meta, err := msg.Metadata()
		if err != nil || meta.NumPending == 0 || meta.Sequence.Stream >= info.State.LastSeq {
			return out, err
		}
	}
}

// noteVersion records one last message's version in versions, under the environment its subject names.
func (p *Publisher) noteVersion(versions map[int64]int64, msg jetstream.Msg) {
	rest, _ := strings.CutPrefix(msg.Subject(), p.stream.SubjectPrefix+".")
	env, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return // not an environment's subject (the catalog)
	}
	v, err := strconv.ParseInt(msg.Headers().Get(HeaderVersion), 10, 64)
	if h := msg.Headers().Get(HeaderEnvironment); err != nil || (h != "" && h != rest) || !p.headersSignedByUs(msg.Subject(), msg.Headers()) {
		v = -1
	}
	versions[env] = v
}
