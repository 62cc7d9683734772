package eval

import "encoding/json"

// score orders reasons the way PostHog's FeatureFlagMatchReason does, to report the best non-match.
const (
	scoreNoGroupType    = 1
	scoreNoCondition    = 2
	scoreOutOfRollout   = 3
	scoreConditionMatch = 4
)

// flag evaluates flag i into res, which it overwrites: PostHog's get_match, preceded by the checks its caller
// makes. Results are written in place rather than returned: a Result is over 100 bytes, and copying it
// through every step was a visible share of evaluating many flags.
func (r *run) flag(i int, res *Result) {
	f := r.e.flags[i]
	*res = Result{Key: f.def.Key, FlagID: f.def.ID, Version: f.def.Version, Reason: Reason{ConditionIndex: -1}}
	switch {
	case f.broken != nil:
		fail(res, ReasonInvalidDefinition, "Flag definition is invalid: "+f.broken.Error())
	case !f.def.Active:
		res.Reason = reason(ReasonFlagDisabled, -1, "Feature flag is disabled")
	case f.missingDeps:
		res.Reason = reason(ReasonMissingDependency, -1, "Flag cannot be evaluated due to missing dependency")
	case r.enrollment(f, res): // decided by early access
	case r.holdout(f, res): // held out
	default:
		r.conditions(f, res)
	}
}

func fail(res *Result, code, desc string) {
	res.Failed = true
	res.Reason = reason(code, -1, desc)
}

func reason(code string, idx int, desc string) Reason {
	return Reason{Code: code, ConditionIndex: idx, Description: desc}
}

// enrollment is early access: feature_enrollment (the person property "$feature_enrollment/{key}") or the
// legacy first super group. When the person has the property, its value decides the flag outright: res is
// set and enrollment reports true; otherwise res is left as it was.
func (r *run) enrollment(f *compiled, res *Result) bool {
	props := r.c.PersonProperties
	if f.enrollmentKey != "" {
		v, ok := props[f.enrollmentKey]
		if !ok {
			return false
		}
		s, isStr := v.(string)
		b, isBool := v.(bool)
		res.Enabled = (isStr && s == "true") || (isBool && b)
		res.Payload = f.payload("true")
		res.Reason = reason(ReasonSuperConditionValue, 0, "Super condition value")
		return true
	}
	if f.super == nil || !r.anyPresent(f.super.props) {
		return false
	}
	m, code := r.condition(f, f.super)
	if code != "" {
		fail(res, code, dependencyDescription(code))
		return true
	}
	res.Enabled = m == scoreConditionMatch
	res.Payload = f.payload("true")
	res.Reason = reason(ReasonSuperConditionValue, 0, "Super condition value")
	return true
}

// anyPresent is is_super_condition_match's relevance check: contains_key on the person properties for
// any filter key of the super group, whatever the filter's type.
func (r *run) anyPresent(ps []prop) bool {
	for i := range ps {
		if r.personHas(&ps[i]) {
			return true
		}
	}
	return false
}

// holdout puts a share of identifiers in the experiment's holdout, hashed on "holdout-{id}" so the same
// people are held out of every flag sharing the holdout. It reports true, with res set, for a held-out
// identifier; otherwise res is left as it was.
func (r *run) holdout(f *compiled, res *Result) bool {
	h := f.holdout
	if h == nil {
		return false
	}
	// get_holdout_hash: the flag-level identifier, hashed without the empty-identifier rule.
	if h.pct < 100 && hash("holdout-", r.identifier(f, f.aggregation), "") > h.pct/100 {
		return false
	}
	res.Enabled, res.Variant = true, h.variant
	res.Payload = f.payload(h.variant)
	res.Reason = reason(ReasonHoldoutConditionValue, -1, "Holdout condition value")
	return true
}

// conditions evaluates filters.groups in stored order and sets res to the first match, or the best reason.
func (r *run) conditions(f *compiled, res *Result) {
	best, bestIdx := scoreNoGroupType, -1
	skippedGroups := false
	for i := range f.conditions {
		cond := &f.conditions[i]
		var s int
		switch {
		case cond.aggregation < 0 && f.deviceID && r.c.DeviceID == "":
			s = scoreOutOfRollout // device bucketing without a device id cannot be placed
		case cond.aggregation >= 0 && r.groupKey(cond.groupName) == "":
			s, skippedGroups = scoreNoGroupType, true
		default:
			var code string
			if s, code = r.condition(f, cond); code != "" {
				fail(res, code, dependencyDescription(code))
				return
			}
		}
		if best <= s {
			best, bestIdx = s, i
		}
		if s == scoreConditionMatch {
			r.matched(f, cond, res, i)
			return
		}
	}
	res.Reason = nonMatch(best, bestIdx, skippedGroups)
}

func (r *run) matched(f *compiled, cond *condition, res *Result, i int) {
	v := cond.variant
	if v == "" {
		v = r.variant(f, cond.aggregation)
	}
	res.Enabled, res.Variant = true, v
	if v == "" {
		res.Payload = f.payload("true")
	} else {
		res.Payload = f.payload(v)
	}
	res.Reason = reason(ReasonConditionMatch, i, cond.matched)
}

func nonMatch(best, idx int, skippedGroups bool) Reason {
	switch best {
	case scoreOutOfRollout:
		return reason(ReasonOutOfRolloutBound, idx, "Out of rollout bound")
	case scoreNoCondition:
		if skippedGroups {
			return reason(ReasonNoConditionMatch, idx, "No matching condition set (group conditions were not evaluated because no group type was provided)")
		}
		return reason(ReasonNoConditionMatch, idx, "No matching condition set")
	}
	return reason(ReasonNoGroupType, idx, "No group type")
}

func dependencyDescription(code string) string {
	if code == ReasonDependencyCycle {
		return "Flag cannot be evaluated: a cohort it targets depends on itself"
	}
	return "Flag cannot be evaluated: a cohort it targets does not exist"
}

// condition is is_condition_match: every filter (flag dependencies and properties in order, then
// cohorts), then the rollout. It returns a score, or an error code when a cohort cannot be evaluated.
func (r *run) condition(f *compiled, cond *condition) (int, string) {
	for i := range cond.props {
		p := &cond.props[i]
		switch p.kind {
		case kindCohort:
			continue
		case kindFlag:
			if !r.dependencyMatches(p) {
				return scoreNoCondition, ""
			}
		case kindGroup:
			if !p.match(r.groupProps(p), r) {
				return scoreNoCondition, ""
			}
		default:
			v, present := r.personValue(p)
			if !p.matchValue(v, present, r) {
				return scoreNoCondition, ""
			}
		}
	}
	if cond.hasCohort {
		if ok, code := r.cohortsMatch(cond); code != "" || !ok {
			return scoreNoCondition, code
		}
	}
	if r.inRollout(f, cond) {
		return scoreConditionMatch, ""
	}
	return scoreOutOfRollout, ""
}

func (r *run) cohortsMatch(cond *condition) (bool, string) {
	for i := range cond.props {
		p := &cond.props[i]
		if p.kind != kindCohort {
			continue
		}
		if !p.cohortOK {
			return false, ReasonDependencyNotFound
		}
		in, code := r.e.cohorts.member(p.cohortID, r.c, r)
		if code != "" {
			return false, code
		}
		if !applyMembership(p.op, in) {
			return false, ""
		}
	}
	return true, ""
}

// dependencyMatches is match_flag_value_to_flag_filter: true matches any enabled value, false only a
// disabled one, a string only that variant.
func (r *run) dependencyMatches(p *prop) bool {
	if p.op != opFlagEvaluatesTo || p.depIdx < 0 || r.vals == nil {
		return false
	}
	v := r.vals[p.depIdx]
	if !v.known {
		return false
	}
	switch want := p.depWant.(type) {
	case bool:
		if want {
			return v.enabled
		}
		return !v.enabled
	case string:
		return v.enabled && v.variant != "" && v.variant == want
	}
	return false
}

// groupProps is the property set of a group filter's group (resolve_for_filter).
func (r *run) groupProps(p *prop) map[string]any {
	if p.groupName == "" {
		return nil
	}
	return r.c.GroupProperties[p.groupName]
}

func (r *run) inRollout(f *compiled, cond *condition) bool {
	if cond.rollout == 100 {
		return true
	}
	return bucket(f.prefix, r.identifier(f, cond.aggregation), "") <= cond.rollout/100
}

// variant picks the variant whose cumulative boundary first exceeds the hash; "" when none does.
func (r *run) variant(f *compiled, aggregation int) string {
	if len(f.variants) == 0 {
		return ""
	}
	h := bucket(f.prefix, r.identifier(f, aggregation), "variant")
	for _, v := range f.variants {
		if h < v.upper {
			return v.key
		}
	}
	return ""
}

// identifier is what gets hashed: the group key for group aggregation, else the device id (device
// bucketing), the anonymous id (experience continuity) or the distinct id.
func (r *run) identifier(f *compiled, aggregation int) string {
	if aggregation >= 0 {
		return r.groupKey(r.e.groupTypes[aggregation])
	}
	if f.deviceID && r.c.DeviceID != "" {
		return r.c.DeviceID
	}
	if f.continuity && r.c.AnonDistinctID != "" {
		return r.c.AnonDistinctID
	}
	return r.c.DistinctID
}

func (r *run) groupKey(name string) string {
	if name == "" {
		return ""
	}
	return r.c.Groups[name]
}

func (f *compiled) payload(key string) json.RawMessage {
	if p, ok := f.payloads[key]; ok && len(p) > 0 && string(p) != "null" {
		return p
	}
	return nil
}
