// Package flag holds Halyard's flag definitions in PostHog's `filters` shape, and their validation.
//
// The same types travel everywhere: the writer decodes them from admin JSON and stores them as JSONB, the
// publisher encodes them into the msgpack snapshot (package wire), and the evaluator compiles them (package
// eval). JSON tags follow PostHog's field names so its local-evaluation payload parses unchanged.
package flag

import "encoding/json"

// Flag is one feature flag of an environment.
type Flag struct {
	ID                         int64   `json:"id" msgpack:"id"`
	Key                        string  `json:"key" msgpack:"key"`
	Name                       string  `json:"name" msgpack:"name"`
	Description                string  `json:"description,omitempty" msgpack:"description,omitempty"`
	Active                     bool    `json:"active" msgpack:"active"`
	Deleted                    bool    `json:"deleted" msgpack:"deleted"`
	Version                    int64   `json:"version" msgpack:"version"`
	Filters                    Filters `json:"filters" msgpack:"filters"`
	EnsureExperienceContinuity bool    `json:"ensure_experience_continuity" msgpack:"eec"`
	// BucketingIdentifier is "distinct_id" (default) or "device_id".
	BucketingIdentifier string `json:"bucketing_identifier,omitempty" msgpack:"bucketing,omitempty"`
	// EvaluationRuntime is where the flag is served: RuntimeAll (or empty, the same), RuntimeClient or
	// RuntimeServer (runtime.go).
	EvaluationRuntime string `json:"evaluation_runtime,omitempty" msgpack:"runtime,omitempty"`
	// EvaluationContexts are the flag's evaluation tags: when it has any, a request that names contexts is
	// served the flag only if it names one of them (runtime.go).
	EvaluationContexts []string `json:"evaluation_contexts,omitempty" msgpack:"contexts,omitempty"`
}

// Filters is PostHog's flag definition body.
type Filters struct {
	Groups                    []Condition                `json:"groups" msgpack:"groups"`
	Multivariate              *Multivariate              `json:"multivariate,omitempty" msgpack:"multivariate,omitempty"`
	Payloads                  map[string]json.RawMessage `json:"payloads,omitempty" msgpack:"payloads,omitempty"`
	AggregationGroupTypeIndex *int                       `json:"aggregation_group_type_index,omitempty" msgpack:"agg,omitempty"`
	Holdout                   *Holdout                   `json:"holdout,omitempty" msgpack:"holdout,omitempty"`
	HoldoutGroups             []Condition                `json:"holdout_groups,omitempty" msgpack:"holdout_groups,omitempty"`
	SuperGroups               []Condition                `json:"super_groups,omitempty" msgpack:"super_groups,omitempty"`
	FeatureEnrollment         *bool                      `json:"feature_enrollment,omitempty" msgpack:"feature_enrollment,omitempty"`
}

// Condition is one entry of filters.groups: properties AND'd, then a rollout percentage.
type Condition struct {
	Properties                []Property `json:"properties" msgpack:"properties"`
	RolloutPercentage         *float64   `json:"rollout_percentage" msgpack:"rollout"`
	Variant                   *string    `json:"variant,omitempty" msgpack:"variant,omitempty"`
	AggregationGroupTypeIndex *int       `json:"aggregation_group_type_index,omitempty" msgpack:"agg,omitempty"`
	// AggregationExplicit is true when aggregation_group_type_index was present in the source, even as null:
	// null then means "aggregate by person" instead of "inherit the flag-level aggregation".
	AggregationExplicit bool `json:"-" msgpack:"agg_explicit,omitempty"`
}

// Property is one property filter of a condition.
type Property struct {
	Key      string `json:"key" msgpack:"key"`
	Type     string `json:"type,omitempty" msgpack:"type,omitempty"` // person, group, cohort, flag
	Operator string `json:"operator,omitempty" msgpack:"op,omitempty"`
	// Value is a string, number, bool or list, as PostHog sends it.
	Value          any  `json:"value" msgpack:"value"`
	Negation       bool `json:"negation,omitempty" msgpack:"negation,omitempty"`
	GroupTypeIndex *int `json:"group_type_index,omitempty" msgpack:"gti,omitempty"`
}

// Multivariate lists a flag's variants in stored order.
type Multivariate struct {
	Variants []Variant `json:"variants" msgpack:"variants"`
}

// Variant is one variant with its share of the rollout.
type Variant struct {
	Key               string  `json:"key" msgpack:"key"`
	Name              string  `json:"name,omitempty" msgpack:"name,omitempty"`
	RolloutPercentage float64 `json:"rollout_percentage" msgpack:"rollout"`
}

// Holdout is PostHog's newer holdout shape: an exclusion percentage hashed on "holdout-{id}".
type Holdout struct {
	ID                  int64   `json:"id" msgpack:"id"`
	ExclusionPercentage float64 `json:"exclusion_percentage" msgpack:"exclusion"`
}

// Cohort is a static cohort (member ids) or a property cohort (a nested AND/OR tree of property filters).
type Cohort struct {
	ID       int64           `json:"id" msgpack:"id"`
	Name     string          `json:"name" msgpack:"name"`
	IsStatic bool            `json:"is_static" msgpack:"static"`
	Members  []string        `json:"members,omitempty" msgpack:"members,omitempty"`
	Filters  json.RawMessage `json:"filters,omitempty" msgpack:"filters,omitempty"`
}
