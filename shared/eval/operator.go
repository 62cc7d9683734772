package eval

import "fmt"

// op is a property operator, as PostHog spells it in filters.
type op uint8

const (
	opExact op = iota
	opIsNot
	opIsSet
	opIsNotSet
	opIcontains
	opNotIcontains
	opIcontainsMulti
	opNotIcontainsMulti
	opRegex
	opNotRegex
	opGt
	opGte
	opLt
	opLte
	opBetween
	opNotBetween
	opStartsWith
	opNotStartsWith
	opEndsWith
	opNotEndsWith
	opSemverEq
	opSemverNeq
	opSemverGt
	opSemverGte
	opSemverLt
	opSemverLte
	opSemverTilde
	opSemverCaret
	opSemverWildcard
	opIsDateExact
	opIsDateAfter
	opIsDateBefore
	opIn
	opNotIn
	opFlagEvaluatesTo
)

var operators = map[string]op{
	"exact": opExact, "is_not": opIsNot, "is_set": opIsSet, "is_not_set": opIsNotSet,
	"icontains": opIcontains, "not_icontains": opNotIcontains,
	"icontains_multi": opIcontainsMulti, "not_icontains_multi": opNotIcontainsMulti,
	"regex": opRegex, "not_regex": opNotRegex,
	"gt": opGt, "gte": opGte, "lt": opLt, "lte": opLte,
	"between": opBetween, "not_between": opNotBetween,
	"starts_with": opStartsWith, "not_starts_with": opNotStartsWith,
	"ends_with": opEndsWith, "not_ends_with": opNotEndsWith,
	"semver_eq": opSemverEq, "semver_neq": opSemverNeq, "semver_gt": opSemverGt, "semver_gte": opSemverGte,
	"semver_lt": opSemverLt, "semver_lte": opSemverLte, "semver_tilde": opSemverTilde,
	"semver_caret": opSemverCaret, "semver_wildcard": opSemverWildcard,
	"is_date_exact": opIsDateExact, "is_date_after": opIsDateAfter, "is_date_before": opIsDateBefore,
	"in": opIn, "not_in": opNotIn, "flag_evaluates_to": opFlagEvaluatesTo,
}

// parseOperator maps a filter's operator; an empty operator is PostHog's default, exact.
func parseOperator(s string) (op, error) {
	if s == "" {
		return opExact, nil
	}
	o, ok := operators[s]
	if !ok {
		return 0, fmt.Errorf("unknown operator %q", s)
	}
	return o, nil
}
