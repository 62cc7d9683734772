package eval

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/flag/operand"
)

// propKind says where a filter reads its value from.
type propKind uint8

const (
	kindPerson propKind = iota
	kindGroup
	kindCohort
	kindFlag
)

// prop is one compiled property filter: everything that can be derived from the definition alone is
// derived here, once, so matching only looks the property up and compares.
type prop struct {
	kind     propKind
	key      string
	op       op
	value    any
	hasValue bool // PostHog treats a null filter value as absent
	negation bool

	fallback    personFallback // where a person property comes from when the request did not send it
	fallbackKey string         // fallbackInitial: the property "$initial_X" is completed from

	groupName string // kindGroup: whose properties; "" = none known (always an empty property set)

	truthy    bool     // exact/is_not in boolean mode ("true"/"false"/bools): the filter's truthiness
	boolMode  bool     //
	list      []string // exact/is_not list values, icontains_multi needles
	listMode  bool     //
	str       string   // string form of the filter value (ASCII-lowercased for contains/starts/ends)
	re        *regexp.Regexp
	num       float64
	numOK     bool
	lo, hi    float64
	rangeOK   bool
	version   operand.Version
	versionOK bool
	req       operand.Req
	reqOK     bool
	date      operand.Date
	loc       *time.Location // team timezone for naive property dates; nil = UTC
	cohortID  int64
	cohortOK  bool
	depIdx    int // kindFlag: index of the flag depended on; -1 = missing
	depWant   any // true, false or a variant key
}

// compileProp prepares a filter. It fails only for what PostHog itself refuses to deserialize
// (unknown property types and operators); bad values compile into filters that never match, as in PostHog.
func compileProp(p *flag.Property, aggregation *int, groupTypes map[int]string, flagIDs map[int64]int) (prop, error) {
	o, err := parseOperator(p.Operator)
	if err != nil {
		return prop{}, err
	}
	c := prop{key: p.Key, op: o, value: p.Value, hasValue: p.Value != nil, negation: p.Negation, depIdx: -1}
	c.fallback, c.fallbackKey = fallbackFor(p.Key)
	switch p.Type {
	case "", "person":
		c.kind = kindPerson
	case "group":
		c.kind = kindGroup
		gti := p.GroupTypeIndex
		if gti == nil {
			gti = aggregation
		}
		if gti != nil {
			c.groupName = groupTypes[*gti]
		}
	case "cohort":
		c.kind = kindCohort
		if p.Operator == "" {
			c.op = opIn
		}
		c.cohortID, c.cohortOK = flag.CohortID(p.Value) // the writer validates with the same reading
		return c, nil
	case "flag":
		c.kind = kindFlag
		compileDependency(&c, p, flagIDs)
		return c, nil
	default:
		return prop{}, fmt.Errorf("unknown property type %q", p.Type)
	}
	c.prepare()
	return c, nil
}

// compileDependency resolves a flag_evaluates_to filter: its key is the id of the flag depended on.
func compileDependency(c *prop, p *flag.Property, flagIDs map[int64]int) {
	c.depWant = p.Value
	id, err := strconv.ParseInt(p.Key, 10, 64)
	if err != nil {
		return
	}
	if idx, ok := flagIDs[id]; ok {
		c.depIdx = idx
	}
}

// prepare derives the operator-specific form of the filter value.
func (c *prop) prepare() {
	if !c.hasValue {
		return
	}
	var scratch [64]byte
	switch c.op {
	case opExact, opIsNot:
		c.prepareExact()
	case opIcontains, opNotIcontains, opStartsWith, opNotStartsWith, opEndsWith, opNotEndsWith:
		c.str = toLowerASCII(string(appendRepr(scratch[:0], c.value)))
	case opIcontainsMulti, opNotIcontainsMulti:
		if list, ok := c.value.([]any); ok {
			for _, e := range list {
				c.list = append(c.list, toLowerASCII(string(appendRepr(nil, e))))
			}
		} else {
			c.list = []string{toLowerASCII(string(appendRepr(nil, c.value)))}
		}
	case opRegex, opNotRegex:
		c.re, _ = operand.CompileRegex(string(appendRepr(scratch[:0], c.value))) // nil: never matches
	case opGt, opGte, opLt, opLte:
		c.num, c.numOK = toFloat(c.value)
	case opBetween, opNotBetween:
		c.lo, c.hi, c.rangeOK = rangeOf(c.value)
	case opSemverEq, opSemverNeq, opSemverGt, opSemverGte, opSemverLt, opSemverLte:
		c.version, c.versionOK = operand.ParseVersion(string(appendRepr(scratch[:0], c.value)))
	case opSemverTilde, opSemverCaret, opSemverWildcard:
		c.req, c.reqOK = operand.ParseReq(reqKinds[c.op], string(appendRepr(scratch[:0], c.value)))
	case opIsDateExact, opIsDateAfter, opIsDateBefore:
		if s, ok := c.value.(string); ok {
			c.date = operand.ParseDate(s)
		}
	}
}

// localize reads date filters in the team timezone (parse_date_string_in_tz with team_timezone).
func (c *prop) localize(loc *time.Location) {
	if loc == nil || loc == time.UTC {
		return
	}
	c.loc = loc
	if s, ok := c.value.(string); ok && (c.op == opIsDateExact || c.op == opIsDateAfter || c.op == opIsDateBefore) {
		c.date = operand.ParseDateIn(s, loc)
	}
}

// prepareExact implements compute_exact_match's three modes: boolean-like, list, scalar.
func (c *prop) prepareExact() {
	if isTruthyOrFalsy(c.value) {
		c.boolMode, c.truthy = true, isTruthy(c.value)
		return
	}
	if list, ok := c.value.([]any); ok {
		c.listMode = true
		for _, e := range list {
			c.list = append(c.list, string(appendRepr(nil, e)))
		}
		return
	}
	c.str = string(appendRepr(nil, c.value))
}

// rangeOf reads between's [min, max]: two numbers, neither NaN, min <= max.
func rangeOf(v any) (lo, hi float64, ok bool) {
	list, isList := v.([]any)
	if !isList || len(list) != 2 {
		return 0, 0, false
	}
	lo, ok1 := toFloat(list[0])
	hi, ok2 := toFloat(list[1])
	if !ok1 || !ok2 || lo != lo || hi != hi || lo > hi {
		return 0, 0, false
	}
	return lo, hi, true
}

// isTruthyOrFalsy: bools, "true"/"false" in any case, and lists made only of those (an empty list too).
func isTruthyOrFalsy(v any) bool {
	switch x := v.(type) {
	case bool:
		return true
	case string:
		return equalASCIIFold(x, "true") || equalASCIIFold(x, "false")
	case []any:
		for _, e := range x {
			if !isTruthyOrFalsy(e) {
				return false
			}
		}
		return true
	}
	return false
}

func isTruthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return equalASCIIFold(x, "true")
	case []any:
		for _, e := range x {
			if !isTruthy(e) {
				return false
			}
		}
		return true
	}
	return false
}

// match is PostHog's match_property with partial_props=false: a missing property is absent, and the
// negative operators match it.
func (c *prop) match(props map[string]any, r *run) bool {
	v, present := props[c.key]
	return c.matchValue(v, present, r)
}

// matchValue is match for a value already looked up; present is contains_key. r is the evaluation call
// (its clock, and the numbers it has parsed).
func (c *prop) matchValue(v any, present bool, r *run) bool {
	switch c.op {
	case opIsSet:
		return present
	case opIsNotSet:
		return !present
	}
	if !c.hasValue {
		return false
	}
	if !present {
		switch c.op {
		case opIsNot, opNotIcontains, opNotStartsWith, opNotEndsWith, opNotIcontainsMulti, opNotRegex, opNotBetween:
			return true
		}
		return false
	}
	return c.matchPresent(v, r)
}

func (c *prop) matchPresent(v any, r *run) bool {
	var scratch [64]byte
	switch c.op {
	case opExact:
		return c.exact(v, scratch[:])
	case opIsNot:
		return !c.exact(v, scratch[:])
	case opIcontains, opNotIcontains:
		return containsFold(reprString(v, scratch[:]), c.str) == (c.op == opIcontains)
	case opStartsWith, opNotStartsWith:
		return hasPrefixFold(reprString(v, scratch[:]), c.str) == (c.op == opStartsWith)
	case opEndsWith, opNotEndsWith:
		return hasSuffixFold(reprString(v, scratch[:]), c.str) == (c.op == opEndsWith)
	case opIcontainsMulti, opNotIcontainsMulti:
		return c.containsAny(reprString(v, scratch[:])) == (c.op == opIcontainsMulti)
	case opRegex, opNotRegex:
		if c.re == nil {
			return false // a pattern that does not compile matches nothing, not even for not_regex
		}
		return c.re.MatchString(ownedString(v)) == (c.op == opRegex)
	case opGt, opGte, opLt, opLte:
		return c.compareNumber(r.number(v))
	case opBetween, opNotBetween:
		return c.between(r.number(v))
	case opSemverEq, opSemverNeq, opSemverGt, opSemverGte, opSemverLt, opSemverLte:
		return c.compareSemver(ownedString(v))
	case opSemverTilde, opSemverCaret, opSemverWildcard:
		return c.matchSemverReq(ownedString(v))
	case opIsDateExact, opIsDateAfter, opIsDateBefore:
		return c.compareDate(v, r.clock())
	}
	return false // in/not_in and flag_evaluates_to never match as person/group properties
}

func (c *prop) exact(v any, scratch []byte) bool {
	if c.boolMode {
		return isTruthy(v) == c.truthy
	}
	s := reprString(v, scratch)
	if c.listMode {
		for _, e := range c.list {
			if equalLower(e, s) {
				return true
			}
		}
		return false
	}
	return equalLower(c.str, s)
}

func (c *prop) containsAny(s string) bool {
	for _, n := range c.list {
		if containsFold(s, n) {
			return true
		}
	}
	return false
}

// compareNumber compares the property's number x (ok: it is one) with the filter's.
func (c *prop) compareNumber(x float64, ok bool) bool {
	if !ok || !c.numOK {
		return false
	}
	switch c.op {
	case opGt:
		return x > c.num
	case opGte:
		return x >= c.num
	case opLt:
		return x < c.num
	default:
		return x <= c.num
	}
}

func (c *prop) between(x float64, ok bool) bool {
	if !c.rangeOK {
		return false
	}
	if !ok || x != x {
		return false // NaN is malformed input: no match for between and not_between alike
	}
	in := x >= c.lo && x <= c.hi
	return in == (c.op == opBetween)
}

var reqKinds = map[op]operand.ReqKind{opSemverTilde: operand.Tilde, opSemverCaret: operand.Caret, opSemverWildcard: operand.Wildcard}

// ownedString is the representation of v as a string that may be retained (regexp and the semver parser
// keep references to their input), so it never aliases a stack buffer.
func ownedString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(appendRepr(nil, v))
}
