package eval

import (
	"encoding/json"
	"time"

	"github.com/halyard-flags/halyard/shared/flag"
)

// Definitions is what one environment's snapshot gives the engine.
type Definitions struct {
	Flags      []flag.Flag
	Cohorts    []flag.Cohort
	GroupTypes map[int]string // aggregation_group_type_index -> group type name
	// Timezone is the team timezone date filters are read in (PostHog's team.timezone): naive dates and
	// datetimes are wall clocks there, and relative dates ("-7d") count back on its wall clock. nil = UTC.
	Timezone *time.Location
}

// Context is one evaluation request. The engine only reads it, so one Context may be shared by concurrent
// evaluations.
type Context struct {
	DistinctID       string
	DeviceID         string
	PersonProperties map[string]any
	Groups           map[string]string         // group type name -> group key (JSON numbers already stringified)
	GroupProperties  map[string]map[string]any // group type name -> properties
	Now              time.Time                 // zero = time.Now(); for relative dates
	// AnonDistinctID is the request's $anon_distinct_id. Flags with ensure_experience_continuity hash it
	// instead of DistinctID when set, as PostHog does before it has stored a hash-key override.
	AnonDistinctID string
}

// Reason codes, as PostHog's flag service reports them.
const (
	ReasonConditionMatch        = "condition_match"
	ReasonNoConditionMatch      = "no_condition_match"
	ReasonOutOfRolloutBound     = "out_of_rollout_bound"
	ReasonNoGroupType           = "no_group_type"
	ReasonHoldoutConditionValue = "holdout_condition_value"
	ReasonSuperConditionValue   = "super_condition_value"
	ReasonFlagDisabled          = "flag_disabled"
	ReasonMissingDependency     = "missing_dependency"
	// Error codes: the flag could not be evaluated and failed closed (Result.Failed). PostHog reports the
	// same codes with "failed": true.
	ReasonDependencyNotFound = "dependency_not_found"
	ReasonDependencyCycle    = "dependency_cycle"
	ReasonInvalidDefinition  = "invalid_definition"
)

// Reason says why a flag has its value.
type Reason struct {
	Code           string
	ConditionIndex int // -1 when none
	Description    string
}

// Result is one flag's value for one Context.
type Result struct {
	Key     string
	FlagID  int64
	Version int64
	Enabled bool
	Variant string          // "" when none
	Payload json.RawMessage // nil when none; the payload for "true" or for the variant key
	Reason  Reason
	// Failed is true when the flag could not be evaluated (missing or cyclic cohort, invalid definition)
	// and failed closed; PostHog marks such flags "failed": true and errorsWhileComputingFlags.
	Failed bool
}

// CompileError is a flag that could not be compiled; it evaluates to false with Result.Failed set. (The
// validation problems the writer reports are flag.Problem.)
type CompileError struct {
	FlagKey string
	Err     error
}

func (p CompileError) Error() string { return p.FlagKey + ": " + p.Err.Error() }
