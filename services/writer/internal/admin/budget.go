package admin

import (
	"encoding/json"
	"fmt"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
)

// The snapshot budget. A snapshot that fits one NATS message travels as one; a larger one travels in
// compressed chunks (ADR 0016), up to wire.MaxSnapshotBytes, past which evaluators refuse it. A change whose
// snapshot could not be published, which would stall its environment's outbox, is refused: one over that
// bound, or one over a single message when the server's max_payload is too small to carry chunks. The
// database sums the weights below; CheckSnapshotBudget judges them against the server's max_payload.
const (
	// MemberOverheadBytes is a member's weight beyond its id: msgpack's string header.
	MemberOverheadBytes = 2
	// FlagOverheadBytes is a flag's weight beyond its key, name, description and filters as JSON.
	FlagOverheadBytes = 64
	// CohortOverheadBytes is a cohort's weight beyond its name and filters as JSON.
	CohortOverheadBytes = 32

	// GrowthChecked is how much a flag may grow in one edit before the edit checks the budget. Creates
	// always check. Smaller growth (a rollout 5 → 50, a longer name) goes unchecked, so the frequent edits
	// stay on the one-statement path; the eighth of the capacity the budget keeps free absorbs it.
	GrowthChecked = 1 << 10
)

// SnapshotCapacity is the most an environment's snapshot (its msgpack form) can weigh on a NATS server
// whose max_payload is maxPayload (0 when not known yet: NATS's default is assumed): wire.MaxSnapshotBytes
// when a message leaves room for a chunk of at least wire.MinChunkBytes, else what one message carries.
func SnapshotCapacity(maxPayload int64) (capacity int64, chunked bool) {
	if maxPayload <= 0 {
		maxPayload = wire.DefaultMaxPayload
	}
	message := maxPayload - wire.HeaderRoom
	if message >= wire.MinChunkBytes {
		return wire.MaxSnapshotBytes, true
	}
	return max(message, 0), false
}

// MaxSnapshotBytes is the budget: the capacity less an eighth, for the error of the estimate (flags and
// cohorts weighed as JSON, larger than their msgpack form, keys left out) and unchecked growth.
func MaxSnapshotBytes(maxPayload int64) int64 {
	capacity, _ := SnapshotCapacity(maxPayload)
	return capacity - capacity/8
}

// CheckSnapshotBudget refuses (422 snapshot_too_large) an environment whose static members weigh
// memberBytes and whose other definitions weigh definitionBytes when together they pass the budget for a
// server whose max_payload is maxPayload.
func CheckSnapshotBudget(maxPayload, memberBytes, definitionBytes int64) error {
	total := memberBytes + definitionBytes
	limit := MaxSnapshotBytes(maxPayload)
	if total <= limit {
		return nil
	}
	e := apperr.New(apperr.Invalid, "snapshot_too_large", "the environment's snapshot would take about %d bytes; a snapshot carries at most %d", total, limit)
	if _, chunked := SnapshotCapacity(maxPayload); !chunked {
		e.Message = fmt.Sprintf("the environment's snapshot would take about %d bytes, more than one NATS message carries (%d), "+
			"and the server's max_payload (%d bytes) is too small to carry it in chunks (at least %d): raise max_payload",
			total, limit, maxPayload, wire.MinChunkBytes+wire.HeaderRoom)
	}
	e.Details = []flag.Problem{{Path: "", Message: e.Message}}
	return e
}

// Grows reports whether replacing cur by next (cur nil for a new flag) must check the snapshot budget.
func Grows(cur, next *flag.Flag) bool {
	return cur == nil || DefinitionBytes(next)-DefinitionBytes(cur) > GrowthChecked
}

// DefinitionBytes approximates a flag's weight in its environment's snapshot.
func DefinitionBytes(f *flag.Flag) int {
	filters, _ := json.Marshal(f.Filters)
	return len(f.Key) + len(f.Name) + len(f.Description) + len(filters)
}
