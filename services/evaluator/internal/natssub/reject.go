package natssub

import (
	"sync"

	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/zap"
)

// Why a snapshot was not applied.
const (
	RejectDecode           = "decode"            // not a snapshot: the bytes do not decode
	RejectFormatVersion    = "format_version"    // a snapshot format this build does not read
	RejectOlder            = "older"             // not newer than the version the store holds
	RejectWrongEnvironment = "wrong_environment" // another environment's snapshot, on this subject
	RejectSignature        = "signature"         // not signed by an accepted key (VerifySignatures)
	RejectIncomplete       = "incomplete"        // a chunked snapshot's chunk is missing (replaced by a newer one, or lost)
	RejectIntegrity        = "integrity"         // a chunked snapshot's chunks do not match its manifest's size or SHA-256
)

// Reasons lists every rejection reason, for metrics to create their series up front.
var Reasons = []string{RejectDecode, RejectFormatVersion, RejectOlder, RejectWrongEnvironment, RejectSignature,
	RejectIncomplete, RejectIntegrity}

// decodeFailure says why data, which wire.Decode refused, is unusable: a readable snapshot header of
// another format, or not a snapshot at all.
func decodeFailure(data []byte) string {
	var head struct {
		Format int `msgpack:"format"`
	}
	if msgpack.Unmarshal(data, &head) == nil && head.Format != wire.FormatVersion {
		return RejectFormatVersion
	}
	return RejectDecode
}

// rejection is one refused snapshot: its environment (the subject's), its version (the header's when it
// cannot be decoded; 0 when unknown) and why.
type rejection struct {
	env, version int64
	reason       string
}

// rejectionLog remembers the last rejection logged per environment, so a snapshot redelivered (at every
// evaluator start, after every reconnection) is counted each time but logged once.
type rejectionLog struct {
	mu   sync.Mutex
	last map[int64]rejection
}

// first reports whether r differs from the environment's last logged rejection, and remembers it.
func (l *rejectionLog) first(r rejection) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last[r.env] == r {
		return false
	}
	l.last[r.env] = r
	return true
}

// reject counts and logs (once per environment and rejection) a snapshot not applied, and returns it as
// the apply span records it.
func (f *Follower) reject(r rejection, subject string, err error) applied {
	f.observer.Rejected(r.reason)
	a := applied{env: r.env, version: r.version, rejected: r.reason, err: err}
	if !f.rejections.first(r) {
		return a
	}
	fields := []zap.Field{zap.String("subject", subject), zap.Int64("environment", r.env), zap.Int64("version", r.version),
		zap.String("reason", r.reason)}
	switch r.reason {
	case RejectOlder:
		// Expected now and then (a replay, two writers racing); the store kept the newer version.
		f.log.Info("snapshot not newer than the one served; ignored", fields...)
		return a
	case RejectIncomplete:
		// Usually a newer snapshot of the environment replaced the chunks, and its manifest comes next.
		f.log.Warn("a chunk of the snapshot is missing; keeping the previous state until a newer one", append(fields, zap.Error(err))...)
		return a
	}
	f.log.Error("cannot apply snapshot; keeping the previous state", append(fields, zap.Error(err))...)
	return a
}
