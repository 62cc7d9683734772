package eval

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/shared/flag"
)

// compiled is one flag prepared for evaluation.
type compiled struct {
	def     *flag.Flag
	broken  error // the definition could not be compiled: evaluate fails closed
	holdout *holdout

	enrollmentKey string // "$feature_enrollment/{key}" when feature_enrollment is true
	super         *condition

	prefix      string // "{key}." — the hash prefix
	aggregation int    // flag-level group type index, -1 for person flags
	deviceID    bool   // bucketing_identifier = device_id
	continuity  bool   // ensure_experience_continuity
	conditions  []condition
	variants    []variant
	payloads    map[string]json.RawMessage
	loc         *time.Location // team timezone for date filters; nil = UTC

	deps        []int // flags this one depends on (direct)
	order       []int // transitive dependencies in evaluation order, then this flag
	missingDeps bool  // a dependency is missing, deleted or cyclic
}

type variant struct {
	key   string
	upper float64 // cumulative boundary in binary64: hash < upper selects it
}

type condition struct {
	props       []prop
	rollout     float64 // null = 100
	variant     string  // a declared variant override; "" = use the hash
	aggregation int     // effective group type index, -1 = person
	groupName   string  // the group type name for aggregation, "" if unknown
	hasCohort   bool
	matched     string // "Matched condition set N", built once
}

type holdout struct {
	pct     float64 // already clamped to [0, 100]
	variant string  // "holdout-{id}"
}

// compileFlag prepares f. flagIDs maps a flag id to its index, for dependencies.
func compileFlag(f *flag.Flag, groupTypes map[int]string, flagIDs map[int64]int, loc *time.Location) *compiled {
	c := &compiled{def: f, prefix: f.Key + ".", aggregation: -1, payloads: f.Filters.Payloads, loc: loc}
	c.deviceID = f.BucketingIdentifier == "device_id"
	c.continuity = f.EnsureExperienceContinuity
	if a := f.Filters.AggregationGroupTypeIndex; a != nil {
		c.aggregation = *a
	}
	c.compileVariants()
	c.compileHoldouts()
	if err := c.compileConditions(groupTypes, flagIDs); err != nil {
		c.broken = err
	}
	return c
}

// compileVariants accumulates boundaries left to right in binary64, exactly as PostHog sums them.
func (c *compiled) compileVariants() {
	if c.def.Filters.Multivariate == nil {
		return
	}
	cum := 0.0
	for _, v := range c.def.Filters.Multivariate.Variants {
		cum += v.RolloutPercentage / 100
		c.variants = append(c.variants, variant{key: v.Key, upper: cum})
	}
}

func (c *compiled) hasVariant(key string) bool {
	for _, v := range c.variants {
		if v.key == key {
			return true
		}
	}
	return false
}

// compileHoldouts reads filters.holdout. The legacy filters.holdout_groups is ignored: PostHog's
// FlagFilters (flags/flag_models.rs) no longer has the field ("Replaces the legacy holdout_groups
// array") and is_holdout_condition_match only reads filters.holdout, so a flag that still carries
// holdout_groups holds nobody out there.
func (c *compiled) compileHoldouts() {
	if h := c.def.Filters.Holdout; h != nil {
		c.holdout = &holdout{pct: max(0, min(100, h.ExclusionPercentage)), variant: "holdout-" + strconv.FormatInt(h.ID, 10)}
	}
}

func (c *compiled) compileConditions(groupTypes map[int]string, flagIDs map[int64]int) error {
	fl := &c.def.Filters
	if fl.FeatureEnrollment != nil && *fl.FeatureEnrollment {
		c.enrollmentKey = "$feature_enrollment/" + c.def.Key
	} else if len(fl.SuperGroups) > 0 && len(fl.SuperGroups[0].Properties) > 0 {
		// Super conditions are person-level whatever the flag aggregates by.
		sc, err := compileCondition(&fl.SuperGroups[0], nil, groupTypes, flagIDs, c)
		if err != nil {
			return fmt.Errorf("filters.super_groups[0]: %w", err)
		}
		sc.aggregation, sc.groupName = -1, ""
		c.super = &sc
	}
	for i := range fl.Groups {
		cond, err := compileCondition(&fl.Groups[i], fl.AggregationGroupTypeIndex, groupTypes, flagIDs, c)
		if err != nil {
			return fmt.Errorf("filters.groups[%d]: %w", i, err)
		}
		cond.matched = "Matched condition set " + strconv.Itoa(i+1)
		c.conditions = append(c.conditions, cond)
	}
	return nil
}

func compileCondition(g *flag.Condition, flagAgg *int, groupTypes map[int]string, flagIDs map[int64]int, c *compiled) (condition, error) {
	cond := condition{rollout: 100, aggregation: -1}
	if g.RolloutPercentage != nil {
		cond.rollout = *g.RolloutPercentage
	}
	agg := g.EffectiveAggregation(flagAgg)
	if agg != nil {
		cond.aggregation = *agg
		cond.groupName = groupTypes[*agg]
	}
	if g.Variant != nil && c.hasVariant(*g.Variant) {
		cond.variant = *g.Variant // an undeclared override falls back to the hash
	}
	for j := range g.Properties {
		p, err := compileProp(&g.Properties[j], agg, groupTypes, flagIDs)
		if err != nil {
			return cond, fmt.Errorf("properties[%d]: %w", j, err)
		}
		p.localize(c.loc)
		cond.hasCohort = cond.hasCohort || p.kind == kindCohort
		if p.kind == kindFlag && p.depIdx >= 0 {
			c.deps = append(c.deps, p.depIdx)
		}
		cond.props = append(cond.props, p)
	}
	return cond, nil
}
