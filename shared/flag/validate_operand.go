package flag

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/halyard-flags/halyard/shared/flag/operand"
)

// operandProblem says what is wrong with a filter value for its operator, or "".
func operandProblem(op string, value any) string {
	switch op {
	case "is_set", "is_not_set":
		return ""
	}
	if value == nil {
		return "must not be null"
	}
	s, isStr := value.(string)
	switch op {
	case "regex", "not_regex":
		if !isStr {
			return "must be a regular expression string"
		}
		if _, err := operand.CompileRegex(s); err != nil {
			return fmt.Sprintf("Go's RE2 cannot compile this pattern (look-around and back-references are not supported): %v", err)
		}
	case "gt", "gte", "lt", "lte":
		if _, ok := number(value); !ok {
			return "must be a number"
		}
	case "between", "not_between":
		return rangeProblem(value)
	case "semver_eq", "semver_neq", "semver_gt", "semver_gte", "semver_lt", "semver_lte":
		if _, ok := operand.ParseVersion(scalarString(value)); !ok {
			return "must be a semantic version such as 1.2.3"
		}
	case "semver_tilde", "semver_caret", "semver_wildcard":
		if _, ok := operand.ParseReq(reqKind(op), scalarString(value)); !ok {
			return "must be a semantic version (wildcards as 1.2.*)"
		}
	case "is_date_exact", "is_date_after", "is_date_before":
		if !isStr || !operand.ParseDate(s).OK {
			return "must be a date (2024-06-01, RFC 3339) or a relative date such as -7d"
		}
	case "in", "not_in", "flag_evaluates_to":
		return "only valid on cohort and flag filters"
	}
	return ""
}

func reqKind(op string) operand.ReqKind {
	switch op {
	case "semver_tilde":
		return operand.Tilde
	case "semver_caret":
		return operand.Caret
	}
	return operand.Wildcard
}

func scalarString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func rangeProblem(v any) string {
	list, ok := v.([]any)
	if !ok || len(list) != 2 {
		return "must be [min, max]"
	}
	lo, ok1 := number(list[0])
	hi, ok2 := number(list[1])
	if !ok1 || !ok2 || math.IsNaN(lo) || math.IsNaN(hi) {
		return "must be two numbers"
	}
	if lo > hi {
		return "min must not exceed max"
	}
	return ""
}

// number accepts JSON and msgpack numbers and numeric strings, as PostHog's comparison operators do.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case bool, nil, []any, map[string]any:
		return 0, false
	}
	if id, ok := CohortID(v); ok {
		return float64(id), true
	}
	if f, ok := v.(float64); ok {
		return f, true
	}
	if f, ok := v.(float32); ok {
		return float64(f), true
	}
	return 0, false
}
