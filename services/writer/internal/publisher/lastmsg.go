package publisher

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// lastPublished returns the stream sequence and version of the subject's last snapshot (zero when none).
// A last message the publisher cannot read (garbage, a truncated snapshot, no or a wrong Halyard-Version
// header, another environment's snapshot) is no valid predecessor: it is reported with its sequence and
// version 0, so that the current snapshot is published over it while the expected-last-sequence check still
// refuses to overwrite anything another writer published after it. Each such message is logged and counted
// once: the publish that follows replaces it.
func (p *Publisher) lastPublished(ctx context.Context, subject string) (position, error) {
	m, err := p.st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return position{}, nil
	}
	if err != nil {
		return position{}, err
	}
	v, err := readLast(subject, p.stream.SubjectPrefix, m)
	if err == nil {
		err = p.signedByUs(subject, m.Header, m.Data)
	}
	if err != nil {
		p.log.Warn("the subject's last message is unreadable; publishing the current snapshot over it",
			zap.String("subject", subject), zap.Uint64("stream_seq", m.Sequence), zap.Error(err))
		p.observer.Recovered(RecoveredUnreadable)
		return position{seq: m.Sequence}, nil
	}
	return position{seq: m.Sequence, version: v}, nil
}

// readLast returns the version of a subject's last message, or why it is not a snapshot of the subject's
// environment that evaluators can apply. It decodes the whole snapshot: this is the fallback path, taken only
// when the record in PostgreSQL is missing or stale.
func readLast(subject, prefix string, m *jetstream.RawStreamMsg) (int64, error) {
	v, err := strconv.ParseInt(m.Header.Get(HeaderVersion), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("no valid %s header: %w", HeaderVersion, err)
	}
	env, version, err := decodeHead(m.Data)
	if err != nil {
		return 0, err
	}
	if got := (Stream{SubjectPrefix: prefix}).Subject(env); got != subject {
		return 0, fmt.Errorf("a snapshot of environment %d", env)
	}
	if version != v {
		return 0, fmt.Errorf("%s %d on a snapshot of version %d", HeaderVersion, v, version)
	}
	return v, nil
}

// decodeHead returns the environment and version of a snapshot or of a chunked snapshot's manifest (whose
// chunks it does not read: evaluators check them).
func decodeHead(data []byte) (envID, version int64, err error) {
	if wire.FormatOf(data) == wire.FormatChunked {
		m, err := wire.DecodeManifest(data)
		if err != nil {
			return 0, 0, err
		}
		return m.EnvironmentID, m.Version, nil
	}
	snap, err := wire.Decode(data)
	if err != nil {
		return 0, 0, err
	}
	return snap.EnvironmentID, snap.Version, nil
}

// send publishes the snapshot's message expecting lastSeq as the subject's last sequence. When the stream
// answers that the message is a duplicate (its Nats-Msg-Id was published within the de-duplication window)
// although the subject does not hold that version any more (the stream was purged, or an older or unreadable
// message replaced it since), the snapshot is sent again under a repair id naming the sequence it replaces:
// the id keeps a blind retry of that repair a duplicate too.
func (p *Publisher) send(ctx context.Context, msg *nats.Msg, snap *wire.Snapshot, lastSeq uint64) (*jetstream.PubAck, error) {
	id := fmt.Sprintf("env-%d-v%d", snap.EnvironmentID, snap.Version)
	ack, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectLastSequencePerSubject(lastSeq))
	if err != nil || !ack.Duplicate {
		return ack, err
	}
	now, err := p.lastPublished(ctx, msg.Subject)
	if err != nil || now.version == snap.Version {
		return ack, err
	}
	p.log.Info("the stream no longer holds a version it acknowledged; publishing it again",
		zap.String("subject", msg.Subject), zap.Int64("version", snap.Version), zap.Int64("stream_holds", now.version))
	return p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(fmt.Sprintf("%s-r%d", id, now.seq)),
		jetstream.WithExpectLastSequencePerSubject(now.seq))
}
