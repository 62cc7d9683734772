package publisher

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Observer hears how publishing goes, for metrics. Its methods are called on the publishing goroutine and
// must not block.
type Observer interface {
	// Attempted: the publisher tried to bring one environment's snapshot onto the stream (it held the
	// environment's publish lock, or failed before it knew).
	Attempted()
	// Failed: that attempt failed, for reason (one of the Reason constants).
	Failed(reason string)
	// Published: the stream acknowledged a snapshot and its outbox rows were marked.
	Published(Publication)
	// Recovered: the publisher found something on the stream it had to repair, for reason (one of the
	// Recovered constants): it publishes the current snapshot over it.
	Recovered(reason string)
}

// Publication is one snapshot the stream acknowledged.
type Publication struct {
	EnvironmentID int64
	Version       int64
	Bytes         int
	// Took is the whole publish: the snapshot's read, its encoding, the publish, the acknowledgement and the
	// marking of the outbox rows.
	Took time.Duration
	// CommittedAt is when the oldest change the snapshot published was committed (zero when unknown).
	CommittedAt time.Time
	Acked       time.Time // when the rows were marked, right after the acknowledgement
}

// Why a publish failed, as Observer.Failed reports it: a bounded set, for a metric label.
const (
	ReasonDatabase = "database" // PostgreSQL: the publish lock, the snapshot's read or the marking
	ReasonEncode   = "encode"   // the snapshot could not be encoded
	ReasonTimeout  = "timeout"  // no acknowledgement in time: NATS is down or too slow
	ReasonRejected = "rejected" // the server refused the message (wrong last sequence, too large, …)
	ReasonNATS     = "nats"     // any other NATS failure (no responders, connection closed, …)
)

// What the publisher repaired, as Observer.Recovered reports it: a bounded set, for a metric label.
const (
	RecoveredUnreadable = "unreadable" // the subject's last message could not be read as its snapshot
	RecoveredMissing    = "missing"    // the reconciler found no snapshot of a current environment on the stream
	RecoveredOlder      = "older"      // the reconciler found an older version than PostgreSQL's on the stream
)

// Observe has o hear of every publish attempt (metrics).
func Observe(o Observer) Option {
	return func(p *Publisher) {
		if o != nil {
			p.observer = o
		}
	}
}

type nopObserver struct{}

func (nopObserver) Attempted()            {}
func (nopObserver) Failed(string)         {}
func (nopObserver) Published(Publication) {}
func (nopObserver) Recovered(string)      {}

// encodeError marks a snapshot the codec refused.
type encodeError struct{ err error }

func (e encodeError) Error() string { return "encode: " + e.err.Error() }
func (e encodeError) Unwrap() error { return e.err }

// failureReason classifies a failed publish: pubErr is what the NATS side returned (nil when the failure
// was the database's).
func failureReason(pubErr error) string {
	var apiErr *jetstream.APIError
	var encErr encodeError
	switch {
	case pubErr == nil:
		return ReasonDatabase
	case errors.As(pubErr, &encErr):
		return ReasonEncode
	case errors.Is(pubErr, context.DeadlineExceeded), errors.Is(pubErr, nats.ErrTimeout):
		return ReasonTimeout
	case errors.As(pubErr, &apiErr), errors.Is(pubErr, nats.ErrMaxPayload):
		return ReasonRejected
	}
	return ReasonNATS
}
