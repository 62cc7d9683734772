package eval

import (
	"testing"
	"time"
)

// propFlag builds a one-condition flag with a single person filter.
func propFlag(op, value string) string {
	return `{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"k","type":"person","operator":"` + op + `","value":` + value + `}],"rollout_percentage":100}]}}`
}

var fixedNow = time.Date(2024, 3, 31, 12, 0, 0, 0, time.UTC)

// TestOperators pins property_matching.rs operator by operator; each case names the rule it pins.
func TestOperators(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		value string
		prop  any // nil with absent=true means the property is not sent
		want  bool
	}{
		// icontains family: ASCII-lowercased substring of the string representation.
		{"icontains", "icontains", `"valUe"`, "343tfvalue5", true},
		{"icontains number repr", "icontains", `"3"`, float64(323), true},
		{"icontains miss", "icontains", `"valUe"`, "Alakazam", false},
		{"not_icontains", "not_icontains", `"x"`, "abc", true},
		{"icontains_multi any", "icontains_multi", `["foo","BAR"]`, "xxbarxx", true},
		{"not_icontains_multi", "not_icontains_multi", `["foo","bar"]`, "xxbarxx", false},
		{"starts_with", "starts_with", `"Val"`, "value", true},
		{"not_starts_with", "not_starts_with", `"Val"`, "xvalue", true},
		{"ends_with", "ends_with", `"UE"`, "value", true},
		{"not_ends_with", "not_ends_with", `"x"`, "value", true},
		// regex: unanchored search over the representation; invalid patterns never match (both ways).
		{"regex", "regex", `"^.*@example\\.com$"`, "a@example.com", true},
		{"regex number", "regex", `"^4\\d$"`, float64(42), true},
		{"not_regex", "not_regex", `"^a"`, "ba", true},
		{"regex invalid never", "regex", `"(?=x)"`, "x", false},
		{"not_regex invalid never", "not_regex", `"(?=x)"`, "x", false},
		// gt/gte/lt/lte: numeric only, strings parsed as f64.
		{"gt number", "gt", `10`, float64(11), true},
		{"gt string prop", "gt", `10`, "11", true},
		{"gt string filter", "gt", `"10"`, float64(9), false},
		{"gte equal", "gte", `10`, int64(10), true},
		{"lt", "lt", `10`, uint64(3), true},
		{"lte non-numeric never", "lte", `10`, "abc", false},
		{"gt bool never", "gt", `0`, true, false},
		{"gt exponent", "gt", `100`, "1e3", true},
		// between: inclusive [min, max].
		{"between inclusive", "between", `[1, 5]`, float64(5), true},
		{"between outside", "between", `[1, 5]`, float64(6), false},
		{"not_between", "not_between", `[1, 5]`, float64(6), true},
		{"between bad bounds", "between", `[5, 1]`, float64(3), false},
		{"not_between NaN", "not_between", `[1, 5]`, "NaN", false},
		// semver: canonicalised (v prefix, padding, leading zeros), semver crate ordering.
		{"semver_eq padded", "semver_eq", `"3.10"`, "v3.10.0", true},
		{"semver_eq leading zero", "semver_eq", `"3.8.0"`, "3.08", true},
		{"semver_gt", "semver_gt", `"1.2.3"`, "1.10.0", true},
		{"semver_lt prerelease", "semver_lt", `"1.0.0"`, "1.0.0-alpha", true},
		{"semver_neq", "semver_neq", `"1.0.0"`, "1.0.1", true},
		{"semver invalid prop", "semver_gte", `"1.0.0"`, "banana", false},
		{"semver_tilde in", "semver_tilde", `"1.2.3"`, "1.2.9", true},
		{"semver_tilde out", "semver_tilde", `"1.2.3"`, "1.3.0", false},
		{"semver_caret in", "semver_caret", `"1.2.3"`, "1.9.0", true},
		{"semver_caret out", "semver_caret", `"1.2.3"`, "2.0.0", false},
		{"semver_caret zero major", "semver_caret", `"0.2.3"`, "0.3.0", false},
		{"semver_wildcard", "semver_wildcard", `"1.2.*"`, "1.2.7", true},
		{"semver_wildcard out", "semver_wildcard", `"1.*"`, "2.0.0", false},
		// dates: RFC 3339, naive dates in UTC, unix seconds, relative offsets back from now.
		{"date before", "is_date_before", `"2024-01-01"`, "2023-12-31T23:59:59Z", true},
		{"date after offset", "is_date_after", `"2024-01-01T00:00:00Z"`, "2024-01-01T01:00:00+02:00", false},
		{"date exact", "is_date_exact", `"2024-01-01"`, "2024-01-01T00:00:00Z", true},
		{"date unix seconds", "is_date_after", `"2024-01-01"`, float64(1704067201), true},
		{"date unix string", "is_date_before", `"2024-01-01"`, "1704067199", true},
		{"date relative days", "is_date_after", `"-7d"`, "2024-03-25T00:00:00Z", true},
		{"date relative months clamps", "is_date_exact", `"-1m"`, "2024-02-29T12:00:00Z", true},
		{"date relative hours", "is_date_before", `"-1h"`, "2024-03-31T10:59:00Z", true},
		{"date filter not a string", "is_date_before", `20240101`, "2023-01-01", false},
		{"date unparseable", "is_date_before", `"2024-01-01"`, "yesterday", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compileOne(t, propFlag(tt.op, tt.value))
			r := evalOne(t, e, "f", &Context{DistinctID: "d", Now: fixedNow, PersonProperties: map[string]any{"k": tt.prop}})
			if r.Enabled != tt.want {
				t.Errorf("enabled = %v, want %v", r.Enabled, tt.want)
			}
		})
	}
}

// TestMissingProperty pins partial_props=false: absent properties match only the negative operators.
func TestMissingProperty(t *testing.T) {
	for op, want := range map[string]bool{
		"exact": false, "is_not": true, "icontains": false, "not_icontains": true, "regex": false, "not_regex": true,
		"gt": false, "between": false, "not_between": true, "semver_eq": false, "is_date_before": false,
		"starts_with": false, "not_starts_with": true, "not_ends_with": true, "not_icontains_multi": true,
	} {
		value := `"x"`
		if op == "between" || op == "not_between" {
			value = `[1,2]`
		}
		e := compileOne(t, propFlag(op, value))
		if got := evalOne(t, e, "f", &Context{DistinctID: "d"}).Enabled; got != want {
			t.Errorf("%s on a missing property: %v, want %v", op, got, want)
		}
	}
}
