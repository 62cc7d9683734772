package publisher

import (
	"context"
	"fmt"
	"strconv"

	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// HeaderChunk names a chunk message's place in its snapshot: "<index>/<chunks>".
const HeaderChunk = "Halyard-Chunk"

// messageBytes is the most a message may carry besides its headers: the server's max_payload, read from the
// connection (NATS's default before it first connected), less wire.HeaderRoom.
func (p *Publisher) messageBytes() int {
	limit := p.js.Conn().MaxPayload()
	if limit <= 0 {
		limit = wire.DefaultMaxPayload
	}
	return int(limit) - wire.HeaderRoom
}

// publishChunked publishes a snapshot too large for one message (ADR 0016): its chunks, replacing the
// environment's previous ones in place, then its manifest on the environment's subject with the same checks
// as a snapshot (the expected last sequence, the de-duplication id). A publish cut short leaves chunks no
// manifest names: evaluators reading the previous manifest's chunks meanwhile find another tag and wait for
// the next manifest.
func (p *Publisher) publishChunked(ctx context.Context, subject string, last position, snap *wire.Snapshot, data []byte) (position, int, error) {
	fail := func(err error) (position, int, error) {
		return last, 0, fmt.Errorf("publish %s v%d in chunks: %w", subject, snap.Version, err)
	}
	m, chunks, err := wire.Pack(snap, data, p.messageBytes())
	if err != nil {
		return fail(fmt.Errorf("%w: %v", nats.ErrMaxPayload, err))
	}
	if err := p.publishChunks(ctx, m, chunks); err != nil {
		return fail(err)
	}
	head, err := wire.EncodeManifest(m)
	if err != nil {
		return fail(encodeError{err})
	}
	ack, err := p.send(ctx, p.headMsg(ctx, subject, snap, head), snap, last.seq)
	if err != nil {
		return fail(err)
	}
	return position{seq: ack.Sequence, version: snap.Version}, int(m.Packed) + len(head), nil
}

// publishChunks publishes the chunks, pipelined: every chunk is sent before the first acknowledgement is
// awaited.
func (p *Publisher) publishChunks(ctx context.Context, m *wire.Manifest, chunks [][]byte) error {
	acks := make([]jetstream.PubAckFuture, len(chunks))
	for i, c := range chunks {
		msg := nats.NewMsg(wire.ChunkSubject(p.stream.SubjectPrefix, m.EnvironmentID, i))
		msg.Data = c
		msg.Header.Set(HeaderVersion, strconv.FormatInt(m.Version, 10))
		msg.Header.Set(HeaderEnvironment, strconv.FormatInt(m.EnvironmentID, 10))
		msg.Header.Set(HeaderChunk, strconv.Itoa(i)+"/"+strconv.Itoa(len(chunks)))
		msg.Header.Set(wire.HeaderChunkOf, wire.ChunkTag(m))
		var err error
		if acks[i], err = p.js.PublishMsgAsync(msg); err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
	}
	for i, a := range acks {
		select {
		case <-a.Ok():
		case err := <-a.Err():
			return fmt.Errorf("chunk %d: %w", i, err)
		case <-ctx.Done():
			return fmt.Errorf("chunk %d: %w", i, ctx.Err())
		}
	}
	return nil
}
