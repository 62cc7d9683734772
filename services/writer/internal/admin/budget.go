package admin

import (
	"encoding/json"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// The snapshot budget. A snapshot travels as one NATS message (8 MiB in Halyard's NATS config) until
// chunked snapshots exist (ADR 0005), so a change whose snapshot could not be published, which would stall
// its environment's outbox, is refused. The database sums the weights below; CheckSnapshotBudget judges them.
const (
	// MaxMemberBytes bounds the static cohort members of one environment, as they weigh in its snapshot,
	// keeping room for the flags. About 300,000 members of 20 characters fit.
	MaxMemberBytes = 6 << 20
	// MaxSnapshotBytes bounds the estimated size of an environment's snapshot (flags and cohorts as JSON,
	// which is larger than their msgpack form), under NATS's 8 MiB message limit.
	MaxSnapshotBytes = 7 << 20

	// MemberOverheadBytes is a member's weight beyond its id: msgpack's string header.
	MemberOverheadBytes = 2
	// FlagOverheadBytes is a flag's weight beyond its key, name, description and filters as JSON.
	FlagOverheadBytes = 64
	// CohortOverheadBytes is a cohort's weight beyond its name and filters as JSON.
	CohortOverheadBytes = 32

	// GrowthChecked is how much a flag may grow in one edit before the edit checks the budget. Creates
	// always check. Smaller growth (a rollout 5 → 50, a longer name) goes unchecked, so the frequent edits
	// stay on the one-statement path; the 1 MiB between MaxSnapshotBytes and NATS's limit absorbs it.
	GrowthChecked = 1 << 10
)

// CheckSnapshotBudget refuses (422) an environment whose static members weigh memberBytes and whose other
// definitions weigh definitionBytes when either is over its bound.
func CheckSnapshotBudget(memberBytes, definitionBytes int64) error {
	if memberBytes > MaxMemberBytes {
		e := apperr.New(apperr.Invalid, "cohorts_too_large", "the environment's static cohort members would take %d bytes of its snapshot; the limit is %d", memberBytes, MaxMemberBytes)
		e.Details = []flag.Problem{{Path: "members", Message: e.Message}}
		return e
	}
	if total := memberBytes + definitionBytes; total > MaxSnapshotBytes {
		e := apperr.New(apperr.Invalid, "snapshot_too_large", "the environment's definitions would take about %d bytes; a snapshot carries at most %d", total, MaxSnapshotBytes)
		e.Details = []flag.Problem{{Path: "", Message: e.Message}}
		return e
	}
	return nil
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
