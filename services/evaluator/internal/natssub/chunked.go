package natssub

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go/jetstream"
)

// decode returns the snapshot data carries, or why it cannot be applied: data is a snapshot, or the
// manifest of a chunked one (ADR 0016), whose chunks are read from st.
func (f *Follower) decode(ctx context.Context, st jetstream.Stream, subjectEnv int64, version string, data []byte) (*wire.Snapshot, *rejection, error) {
	if wire.FormatOf(data) == wire.FormatChunked {
		return f.unpack(ctx, st, subjectEnv, version, data)
	}
	snap, err := wire.Decode(data)
	if err != nil {
		v, _ := strconv.ParseInt(version, 10, 64)
		return nil, &rejection{env: subjectEnv, version: v, reason: decodeFailure(data)}, err
	}
	return snap, nil, nil
}

// unpack reassembles a chunked snapshot: it checks the manifest first (its environment, and that it is newer
// than what the store holds, so an older one costs no fetch), then reads the chunks one at a time by direct
// get, checking that each is the manifest's (its tag: a newer snapshot replaces the chunks in place), and
// their size and SHA-256 before decoding them (wire.Unpack).
func (f *Follower) unpack(ctx context.Context, st jetstream.Stream, subjectEnv int64, version string, data []byte) (*wire.Snapshot, *rejection, error) {
	m, err := wire.DecodeManifest(data)
	if err != nil {
		v, _ := strconv.ParseInt(version, 10, 64)
		return nil, &rejection{env: subjectEnv, version: v, reason: RejectDecode}, err
	}
	refuse := func(reason string, err error) (*wire.Snapshot, *rejection, error) {
		return nil, &rejection{env: subjectEnv, version: m.Version, reason: reason}, err
	}
	if m.EnvironmentID != subjectEnv {
		return refuse(RejectWrongEnvironment, fmt.Errorf("the manifest is environment %d's", m.EnvironmentID))
	}
	if e, ok := f.store.ByID(m.EnvironmentID); ok && e.Version >= m.Version {
		return refuse(RejectOlder, nil)
	}
	tag := wire.ChunkTag(m)
	snap, err := wire.Unpack(m, func(i int) ([]byte, error) {
		msg, err := st.GetLastMsgForSubject(ctx, wire.ChunkSubject(f.subjectPrefix, m.EnvironmentID, i))
		if err != nil {
			return nil, err
		}
		if got := msg.Header.Get(wire.HeaderChunkOf); got != tag {
			return nil, fmt.Errorf("replaced by a chunk of %s", got)
		}
		return msg.Data, nil
	})
	var missing *wire.ChunkError
	switch {
	case errors.As(err, &missing):
		return refuse(RejectIncomplete, err)
	case err != nil:
		return refuse(RejectIntegrity, err)
	}
	return snap, nil, nil
}
