package natssub

import (
	"time"

	"github.com/halyard-flags/halyard/shared/wire"
)

// Observer is told of every snapshot the follower applies or rejects (metrics). Calls come from the
// follower's one consuming goroutine.
type Observer interface {
	// Applied: snap is now served; took is its decode, compile and swap. replayed is true during the
	// initial catch-up, when the snapshot may have been published long before this process started.
	Applied(snap *wire.Snapshot, took time.Duration, replayed bool)
	// Rejected: a snapshot was not applied, for reason (one of Reasons).
	Rejected(reason string)
}

type nopObserver struct{}

func (nopObserver) Applied(*wire.Snapshot, time.Duration, bool) {}
func (nopObserver) Rejected(string)                             {}
