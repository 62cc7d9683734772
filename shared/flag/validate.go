package flag

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// Problem is one thing wrong with a definition, located by a field path such as
// "filters.groups[1].properties[0].value". Flag is the flag's key in ValidateSet results.
type Problem struct {
	Flag    string `json:"flag,omitempty"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) Error() string {
	if p.Flag != "" {
		return p.Flag + ": " + p.Path + ": " + p.Message
	}
	return p.Path + ": " + p.Message
}

var keyPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// Operators is every property operator Halyard (and PostHog) evaluates.
var Operators = map[string]bool{
	"exact": true, "is_not": true, "is_set": true, "is_not_set": true, "icontains": true, "not_icontains": true,
	"icontains_multi": true, "not_icontains_multi": true, "regex": true, "not_regex": true,
	"gt": true, "gte": true, "lt": true, "lte": true, "between": true, "not_between": true,
	"starts_with": true, "not_starts_with": true, "ends_with": true, "not_ends_with": true,
	"semver_eq": true, "semver_neq": true, "semver_gt": true, "semver_gte": true, "semver_lt": true,
	"semver_lte": true, "semver_tilde": true, "semver_caret": true, "semver_wildcard": true,
	"is_date_exact": true, "is_date_after": true, "is_date_before": true,
	"in": true, "not_in": true, "flag_evaluates_to": true,
}

// validator collects problems under a path.
type validator struct{ problems []Problem }

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Validate checks one flag on its own and returns every problem found (nil when valid). References to
// other flags and cohorts are checked by ValidateSet. Validation is stricter than evaluation: a definition
// that PostHog would silently never match (a regex RE2 cannot compile, a non-numeric gt value, an unknown
// variant override) is a problem here, while the engine evaluates it as PostHog does.
func Validate(f *Flag) []Problem {
	var v validator
	if !keyPattern.MatchString(f.Key) {
		v.add("key", "must be non-empty and contain only letters, digits, '-' and '_'")
	}
	if b := f.BucketingIdentifier; b != "" && b != "distinct_id" && b != "device_id" {
		v.add("bucketing_identifier", "must be distinct_id or device_id, got %q", b)
	}
	v.evaluationScope(f)
	v.filters(&f.Filters)
	return v.problems
}

func (v *validator) filters(fl *Filters) {
	if a := fl.AggregationGroupTypeIndex; a != nil && *a < 0 {
		v.add("filters.aggregation_group_type_index", "must be >= 0")
	}
	variants := v.variants(fl.Multivariate)
	for i := range fl.Groups {
		v.condition(fmt.Sprintf("filters.groups[%d]", i), &fl.Groups[i], fl.AggregationGroupTypeIndex, variants)
	}
	for i := range fl.SuperGroups {
		v.condition(fmt.Sprintf("filters.super_groups[%d]", i), &fl.SuperGroups[i], nil, nil)
	}
	for i := range fl.HoldoutGroups {
		v.condition(fmt.Sprintf("filters.holdout_groups[%d]", i), &fl.HoldoutGroups[i], nil, nil)
	}
	if h := fl.Holdout; h != nil && !percentage(h.ExclusionPercentage) {
		v.add("filters.holdout.exclusion_percentage", "must be between 0 and 100")
	}
	for k, p := range fl.Payloads {
		if k != "true" && !variants[k] && !validHoldoutKey(k, fl) {
			v.add("filters.payloads."+k, "no variant %q: payload keys are \"true\" or a variant key", k)
		}
		_ = p
	}
}

func validHoldoutKey(k string, fl *Filters) bool {
	return fl.Holdout != nil && k == "holdout-"+strconv.FormatInt(fl.Holdout.ID, 10)
}

func percentage(p float64) bool { return p >= 0 && p <= 100 && !math.IsNaN(p) }

func (v *validator) variants(m *Multivariate) map[string]bool {
	if m == nil {
		return nil
	}
	keys := map[string]bool{}
	sum := 0.0
	for i, vr := range m.Variants {
		path := fmt.Sprintf("filters.multivariate.variants[%d]", i)
		if vr.Key == "" {
			v.add(path+".key", "must not be empty")
		} else if keys[vr.Key] {
			v.add(path+".key", "duplicate variant %q", vr.Key)
		}
		keys[vr.Key] = true
		if !percentage(vr.RolloutPercentage) {
			v.add(path+".rollout_percentage", "must be between 0 and 100")
		}
		sum += vr.RolloutPercentage
	}
	if len(m.Variants) > 0 && math.Abs(sum-100) > 1e-9 {
		v.add("filters.multivariate.variants", "rollout percentages must sum to 100, got %v", sum)
	}
	return keys
}

func (v *validator) condition(path string, c *Condition, flagAgg *int, variants map[string]bool) {
	if p := c.RolloutPercentage; p != nil && !percentage(*p) {
		v.add(path+".rollout_percentage", "must be between 0 and 100")
	}
	if c.Variant != nil && variants != nil && !variants[*c.Variant] {
		v.add(path+".variant", "no variant %q in filters.multivariate", *c.Variant)
	}
	agg := c.EffectiveAggregation(flagAgg)
	for j := range c.Properties {
		v.property(fmt.Sprintf("%s.properties[%d]", path, j), &c.Properties[j], agg)
	}
}

func (v *validator) property(path string, p *Property, agg *int) {
	switch p.Type {
	case "", "person", "group", "cohort", "flag":
	default:
		v.add(path+".type", "unknown property type %q (person, group, cohort or flag)", p.Type)
		return
	}
	if p.Operator != "" && !Operators[p.Operator] {
		v.add(path+".operator", "unknown operator %q", p.Operator)
		return
	}
	switch p.Type {
	case "cohort":
		v.cohortFilter(path, p)
		return
	case "flag":
		v.flagFilter(path, p)
		return
	case "group":
		if p.GroupTypeIndex == nil && agg == nil {
			v.add(path+".group_type_index", "a group property needs group_type_index or a group-aggregated condition")
		}
	}
	if p.Key == "" {
		v.add(path+".key", "must not be empty")
	}
	if msg := operandProblem(p.Operator, p.Value); msg != "" {
		v.add(path+".value", "%s", msg)
	}
}

func (v *validator) cohortFilter(path string, p *Property) {
	if _, ok := CohortID(p.Value); !ok {
		v.add(path+".value", "must be a cohort id")
	}
	if p.Operator != "" && p.Operator != "in" && p.Operator != "not_in" {
		v.add(path+".operator", "cohort filters use in or not_in")
	}
}

func (v *validator) flagFilter(path string, p *Property) {
	if _, err := strconv.ParseInt(p.Key, 10, 64); err != nil {
		v.add(path+".key", "must be the id of the flag depended on")
	}
	if p.Operator != "flag_evaluates_to" {
		v.add(path+".operator", "flag dependencies use flag_evaluates_to")
	}
	switch p.Value.(type) {
	case bool:
	case string:
		if p.Value == "" {
			v.add(path+".value", "must be true, false or a variant key")
		}
	default:
		v.add(path+".value", "must be true, false or a variant key")
	}
}

// CohortID reads a cohort filter's value: an integral number or a numeric string.
func CohortID(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		id, err := strconv.ParseInt(x, 10, 64)
		return id, err == nil
	case json.Number:
		if id, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return id, true
		}
		f, err := x.Float64() // 5.0 and 5e0 name cohort 5, as they did when values were float64
		return int64(f), err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53
	case float64:
		return int64(x), x == math.Trunc(x) && math.Abs(x) < 1<<53
	case int64:
		return x, true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x < 1<<63 // #nosec G115 -- the caller is told when it does not fit
	}
	return 0, false
}
