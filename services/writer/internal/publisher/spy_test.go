package publisher

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/halyard-flags/halyard/shared/wire"
)

// errCrash stands for the writer dying between the PubAck and the marking of the outbox rows.
var errCrash = errors.New("writer crashed after the PubAck")

// spyOutbox stands between a publisher and the real outbox: it counts what Publish answered, and when armed
// it fails the next Publish right after a new version was acknowledged, as a crash would: the snapshot is on
// the stream, the outbox rows stay pending and the record is not updated.
type spyOutbox struct {
	Outbox
	armed   atomic.Bool
	crashed chan uint64 // the sequence each crashed publish was acknowledged with (buffered by the test)
	onCrash func()      // called at the crash, e.g. to stop the crashed writer's publisher
	busy    atomic.Int64
	failed  atomic.Int64
}

func (s *spyOutbox) Publish(ctx context.Context, stream string, envID int64,
	publish func(snap *wire.Snapshot, traces []map[string]string, lastSeq uint64, lastVersion int64) (uint64, int64, error),
) (int64, bool, error) {
	marked, locked, err := s.Outbox.Publish(ctx, stream, envID, func(snap *wire.Snapshot, traces []map[string]string, lastSeq uint64, lastVersion int64) (uint64, int64, error) {
		seq, version, err := publish(snap, traces, lastSeq, lastVersion)
		if err == nil && version > lastVersion && s.armed.CompareAndSwap(true, false) {
			if s.onCrash != nil {
				s.onCrash()
			}
			s.crashed <- seq
			return 0, 0, errCrash
		}
		return seq, version, err
	})
	if err != nil {
		s.failed.Add(1)
	} else if !locked {
		s.busy.Add(1)
	}
	return marked, locked, err
}
