package publisher

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// position is an environment's last snapshot on the stream: its stream sequence and version (zero when none).
type position struct {
	seq     uint64
	version int64
}

// publishEnv publishes the environment's current snapshot (covering every pending change at once) and has
// the outbox mark the rows it covers. locked is false when another writer is publishing the environment.
func (p *Publisher) publishEnv(ctx context.Context, envID int64) (locked bool, err error) {
	start := time.Now()
	var (
		version, committedAt int64
		bytes                int
		pubErr               error // the NATS side's failure, to tell it from the database's
		span                 trace.Span
	)
	marked, locked, err := p.outbox.Publish(ctx, p.stream.Name, envID,
		func(snap *wire.Snapshot, traces []map[string]string, lastSeq uint64, lastVersion int64) (uint64, int64, error) {
			version, committedAt = snap.Version, snap.CommittedAt
			p.pauseAt(ctx, StepAfterCommit, envID, version)
			var sctx context.Context
			sctx, span = startPublish(ctx, start, p.stream.Subject(envID), snap, traces)
			var last position
			last, bytes, pubErr = p.publish(sctx, snap, position{seq: lastSeq, version: lastVersion})
			if pubErr == nil && bytes > 0 {
				p.pauseAt(ctx, StepAfterPuback, envID, version)
			}
			return last.seq, last.version, pubErr
		})
	if span != nil {
		endPublish(span, bytes, marked, err)
	}
	if err != nil || locked {
		p.observer.Attempted()
	}
	if err != nil {
		if ctx.Err() == nil { // not a failure: the writer is stopping
			p.observer.Failed(failureReason(pubErr))
		}
		return locked, err
	}
	if !locked {
		return false, nil
	}
	p.log.Debug("published snapshot", zap.Int64("environment", envID), zap.Int64("version", version),
		zap.Int("bytes", bytes), zap.Int64("outbox_rows", marked))
	if bytes > 0 {
		p.pauseAt(ctx, StepAfterMark, envID, version)
		p.observePublished(envID, version, bytes, start, committedAt)
		if p.published != nil {
			p.published(envID, version, bytes)
		}
	}
	return true, nil
}

// observePublished tells the observer of an acknowledged snapshot.
func (p *Publisher) observePublished(envID, version int64, bytes int, start time.Time, committedAt int64) {
	pub := Publication{EnvironmentID: envID, Version: version, Bytes: bytes, Acked: time.Now()}
	pub.Took = pub.Acked.Sub(start)
	if committedAt > 0 {
		pub.CommittedAt = time.UnixMilli(committedAt)
	}
	p.observer.Published(pub)
}

// publish sends the snapshot unless the stream already holds this version or a newer one. It returns the
// subject's last message afterwards and the bytes published (0 when it had nothing to do). recorded is the
// last publication recorded in the outbox (by this writer or another, under the same publish lock): when
// there is one older than the snapshot, the publish expects its sequence without asking the stream; when
// there is none, when it is not older, or when the stream refuses the publish (the record is stale), the
// subject's last message is asked from the stream.
func (p *Publisher) publish(ctx context.Context, snap *wire.Snapshot, recorded position) (position, int, error) {
	subject := p.stream.Subject(snap.EnvironmentID)
	last, known := recorded, recorded.seq > 0 && recorded.version < snap.Version
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
func (p *Publisher) publishAfter(ctx context.Context, subject string, last position, snap *wire.Snapshot) (position, int, error) {
	if last.version >= snap.Version {
		return last, 0, nil
	}
	snap.PublishedAt = time.Now().UnixMilli()
	data, err := wire.Encode(snap)
	if err != nil {
		return last, 0, encodeError{err}
	}
	if len(data) > p.messageBytes() {
		return p.publishChunked(ctx, subject, last, snap, data)
	}
	ack, err := p.send(ctx, p.headMsg(ctx, subject, snap, data), snap, last.seq)
	if err != nil {
		return last, 0, fmt.Errorf("publish %s v%d: %w", subject, snap.Version, err)
	}
	return position{seq: ack.Sequence, version: snap.Version}, len(data), nil
}

// headMsg is the message on the environment's subject: the snapshot, or the manifest of its chunks.
func (p *Publisher) headMsg(ctx context.Context, subject string, snap *wire.Snapshot, data []byte) *nats.Msg {
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(HeaderVersion, strconv.FormatInt(snap.Version, 10))
	msg.Header.Set(HeaderEnvironment, strconv.FormatInt(snap.EnvironmentID, 10))
	tracing.InjectNATS(ctx, msg.Header) // traceparent, tracestate: the evaluators' apply spans continue the trace
	p.sign(msg)                         // a manifest's signature covers the whole snapshot: it carries its SHA-256
	return msg
}
