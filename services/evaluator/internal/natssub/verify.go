package natssub

import (
	"strconv"

	"github.com/halyard-flags/halyard/shared/snapsig"
	"github.com/nats-io/nats.go/jetstream"
)

// VerifySignatures has the follower apply only snapshots and catalogs that one of v's keys signed (ADR
// 0017): anything else on the stream, whoever could publish it, is rejected (RejectSignature), logged
// once, and the current state kept.
func VerifySignatures(v *snapsig.Verifier) Option {
	return func(f *Follower) { f.verifier = v }
}

// verified reports whether msg may be read: no keys are configured, or one of them signed it. A message that
// fails is rejected here.
func (f *Follower) verified(msg jetstream.Msg) bool {
	if f.verifier == nil {
		return true
	}
	err := f.verifier.Verify(msg.Subject(), msg.Headers(), msg.Data())
	if err == nil {
		return true
	}
	env, _ := f.environmentOf(msg.Subject()) // 0 for the catalog
	version, _ := strconv.ParseInt(msg.Headers().Get("Halyard-Version"), 10, 64)
	f.reject(rejection{env: env, version: version, reason: RejectSignature}, msg.Subject(), err)
	return false
}
