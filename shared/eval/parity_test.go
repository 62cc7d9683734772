package eval

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

// TestPersonPropertiesAsPostHogSeesThem pins the two additions PostHog makes to the request's person
// properties before matching (see person.go):
//   - fetch_and_locally_cache_all_relevant_properties (flags/flag_matching_utils.rs) always inserts
//     "distinct_id" = the request's distinct id; request person_properties override it (get_person_properties
//     in flags/flag_matching.rs extends the DB properties with the overrides);
//   - populate_missing_initial_properties (flag_matching_utils.rs) fills a missing "$initial_X" from "X" for
//     the keys of INITIAL_PROPERTY_MAP only.
//
// Cohorts and the super-group relevance check read the same completed map.
func TestPersonPropertiesAsPostHogSeesThem(t *testing.T) {
	cohorts := []flag.Cohort{{ID: 5, Filters: []byte(`{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"distinct_id","type":"person","operator":"exact","value":["alice"]}]}]}}`)}}
	one := func(key, op, value string) string {
		return `{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"` + key + `","type":"person","operator":"` + op + `","value":` + value + `}],"rollout_percentage":100}]}}`
	}
	tests := []struct {
		name  string
		js    string
		ctx   Context
		match bool
	}{
		{"distinct_id filter sees the request's distinct id", one("distinct_id", "exact", `["alice","bob"]`),
			Context{DistinctID: "bob"}, true},
		{"distinct_id filter misses another id", one("distinct_id", "exact", `["alice","bob"]`),
			Context{DistinctID: "carol"}, false},
		{"a sent distinct_id property overrides it", one("distinct_id", "exact", `["alice"]`),
			Context{DistinctID: "alice", PersonProperties: map[string]any{"distinct_id": "zed"}}, false},
		{"is_set distinct_id is always true", one("distinct_id", "is_set", `null`), Context{DistinctID: "x"}, true},
		{"is_not_set distinct_id is always false", one("distinct_id", "is_not_set", `null`), Context{DistinctID: "x"}, false},
		{"$initial_utm_source falls back to utm_source", one("$initial_utm_source", "exact", `"google"`),
			Context{DistinctID: "x", PersonProperties: map[string]any{"utm_source": "google"}}, true},
		{"$initial_browser falls back to $browser", one("$initial_browser", "icontains", `"chrome"`),
			Context{DistinctID: "x", PersonProperties: map[string]any{"$browser": "Chrome"}}, true},
		{"a sent $initial_ value wins over the fallback", one("$initial_browser", "exact", `"Chrome"`),
			Context{DistinctID: "x", PersonProperties: map[string]any{"$browser": "Chrome", "$initial_browser": "Safari"}}, false},
		{"is_set $initial_os with only $os", one("$initial_os", "is_set", `null`),
			Context{DistinctID: "x", PersonProperties: map[string]any{"$os": "iOS"}}, true},
		{"keys outside INITIAL_PROPERTY_MAP are not filled", one("$initial_plan", "exact", `"pro"`),
			Context{DistinctID: "x", PersonProperties: map[string]any{"plan": "pro", "$plan": "pro"}}, false},
		{"property cohort on distinct_id", `{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":5}]}]}}`,
			Context{DistinctID: "alice"}, true},
		{"super group relevance counts distinct_id as present (is_super_condition_match contains_key)",
			`{"id":1,"key":"f","active":true,"filters":{"super_groups":[{"properties":[{"key":"distinct_id","type":"person","operator":"exact","value":["vip"]}]}],"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "someone"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFlag(t, tt.js)
			e := Compile(Definitions{Flags: []flag.Flag{f}, Cohorts: cohorts})
			if got := evalOne(t, e, "f", &tt.ctx).Enabled; got != tt.match {
				t.Errorf("enabled = %v, want %v", got, tt.match)
			}
		})
	}
}

// TestCoercionCorners pins match_property (properties/property_matching.rs) on the inputs most likely to
// differ between implementations: JSON null values, list filter values, numbers as strings and booleans.
func TestCoercionCorners(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		value string
		prop  any
		want  bool
	}{
		// A JSON null property is present (IsSet is contains_key) and its representation is "null".
		{"is_set on null", "is_set", `null`, nil, true},
		{"is_not_set on null", "is_not_set", `null`, nil, false},
		{"exact null vs \"null\"", "exact", `"null"`, nil, true},
		{"is_not on null", "is_not", `"x"`, nil, true},
		{"icontains on null", "icontains", `"nul"`, nil, true},
		{"regex on null", "regex", `"^null$"`, nil, true},
		{"gt on null fails (to_f64_representation(\"null\") is None)", "gt", `1`, nil, false},
		{"is_date_after on null", "is_date_after", `"2000-01-01"`, nil, false},
		{"semver_eq on null", "semver_eq", `"1.0.0"`, nil, false},
		// A null filter value: every value operator is Ok(false), even the negative ones.
		{"is_not with a null filter value", "is_not", `null`, "x", false},
		{"not_icontains with a null filter value", "not_icontains", `null`, "x", false},
		// List filter values outside exact/is_not are compared through their compact JSON text.
		{"icontains with a list filter", "icontains", `["a","b"]`, `x["a","b"]x`, true},
		{"icontains with a list filter vs an element", "icontains", `["a","b"]`, "a", false},
		{"regex with a list filter", "regex", `["a","b"]`, "b", true},
		{"gt with a list filter", "gt", `[5]`, float64(9), false},
		// Numbers as strings on either side.
		{"gt \"10\" vs 9", "gt", `9`, "10", true},
		{"gt 10 vs \"9\"", "gt", `"9"`, float64(10), true},
		{"lt \"10\" vs \"9\" is numeric, not lexical", "lt", `"9"`, "10", false},
		{"gt \" 10\" does not parse", "gt", `9`, " 10", false},
		{"gte \".5\"", "gte", `0.5`, ".5", true},
		{"exact 5 vs \"5\"", "exact", `5`, "5", true},
		{"exact \"1.5\" vs 1.5", "exact", `"1.5"`, 1.5, true},
		// Booleans: a boolean-like filter compares truthiness, "TRUE" included; lists use all().
		{"exact true vs \"TRUE\"", "exact", `true`, "TRUE", true},
		{"exact \"true\" vs true", "exact", `"true"`, true, true},
		{"exact false vs \"no\"", "exact", `false`, "no", true},
		{"exact true vs 1", "exact", `true`, float64(1), false},
		{"exact [\"true\",\"false\"] vs true (all() of the list is false)", "exact", `["true","false"]`, true, false},
		{"exact [\"true\",\"false\"] vs false", "exact", `["true","false"]`, false, true},
		{"is_not true vs \"True\"", "is_not", `true`, "True", false},
		{"exact list is case-insensitive", "exact", `["US","Uk"]`, "uk", true},
		{"exact empty list never matches a string", "exact", `[]`, "us", false},
		// Case: exact uses to_lowercase (Unicode), icontains to_ascii_lowercase.
		{"exact Unicode case", "exact", `"ÉCOLE"`, "école", true},
		{"icontains is ASCII-only case-insensitive", "icontains", `"É"`, "é", false},
		{"exact final sigma: to_lowercase(\"ΟΔΟΣ\") is \"οδος\"", "exact", `"ΟΔΟΣ"`, "οδος", true},
		{"exact medial sigma stays σ", "exact", `"ΣΑ"`, "σα", true},
		{"exact İ lowercases to i + U+0307, not i", "exact", `"İstanbul"`, "istanbul", false},
		{"exact İ vs i̇", "exact", `"İstanbul"`, "i\u0307stanbul", true},
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

// TestRuleCorners pins get_match (flags/flag_matching.rs) on variant overrides, empty identifiers, reason
// scoring (flag_match_reason.rs score()) and the order of early access, holdouts and conditions.
func TestRuleCorners(t *testing.T) {
	mv := `"multivariate":{"variants":[{"key":"a","rollout_percentage":50},{"key":"b","rollout_percentage":50}]}`
	tests := []struct {
		name string
		js   string
		ctx  Context
		want outcome
	}{
		{"override without multivariate: get_variants() is empty, so no variant",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"rollout_percentage":100,"variant":"a"}]}}`,
			Context{DistinctID: "x"}, outcome{Enabled: true, Code: "condition_match"}},
		{"rollout 0 with an empty identifier: get_hash returns 0.0 and 0.0 <= 0 matches",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"rollout_percentage":0}],` + mv + `}}`,
			Context{}, outcome{Enabled: true, Variant: "a", Code: "condition_match"}},
		{"rollout 0 with an identifier is out",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"rollout_percentage":0}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "out_of_rollout_bound"}},
		{"out_of_rollout (3) beats a later no_condition_match (2) and no_group_type (1)",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"p","value":"v"}]},{"rollout_percentage":0},{"properties":[{"key":"p","value":"v"}]},{"aggregation_group_type_index":0,"rollout_percentage":100}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "out_of_rollout_bound", Index: 1}},
		{"equal scores: the later condition's index (current <= new)",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"p","value":"v"}]},{"properties":[{"key":"q","value":"v"}]}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "no_condition_match", Index: 1}},
		{"only skipped group conditions: no_group_type at the last one",
			`{"id":1,"key":"f","active":true,"filters":{"aggregation_group_type_index":0,"groups":[{"rollout_percentage":100},{"rollout_percentage":50}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "no_group_type", Index: 1}},
		{"a group key that is an empty string is no group (has_group_key)",
			`{"id":1,"key":"f","active":true,"filters":{"aggregation_group_type_index":0,"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "x", Groups: map[string]string{"company": ""}}, outcome{Code: "no_group_type", Index: 0}},
		{"an unknown group type index is no group",
			`{"id":1,"key":"f","active":true,"filters":{"aggregation_group_type_index":3,"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "x", Groups: map[string]string{"company": "c"}}, outcome{Code: "no_group_type", Index: 0}},
		{"early access is checked before the holdout",
			`{"id":1,"key":"f","active":true,"filters":{"feature_enrollment":true,"holdout":{"id":7,"exclusion_percentage":100},"groups":[]}}`,
			Context{DistinctID: "x", PersonProperties: map[string]any{"$feature_enrollment/f": "true"}}, outcome{Enabled: true, Code: "super_condition_value"}},
		{"without enrollment the holdout comes before conditions",
			`{"id":1,"key":"f","active":true,"filters":{"feature_enrollment":true,"holdout":{"id":7,"exclusion_percentage":100},"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "x"}, outcome{Enabled: true, Variant: "holdout-7", Code: "holdout_condition_value", Index: -1}},
		{"feature_enrollment: true shadows super_groups even when the property is absent",
			`{"id":1,"key":"f","active":true,"filters":{"feature_enrollment":true,"super_groups":[{"properties":[{"key":"beta","value":["true"]}]}],"groups":[]}}`,
			Context{DistinctID: "x", PersonProperties: map[string]any{"beta": "true"}}, outcome{Code: "no_group_type", Index: -1}},
		{"enrollment value \"True\" is not \"true\" (v == \"true\")",
			`{"id":1,"key":"f","active":true,"filters":{"feature_enrollment":true,"groups":[]}}`,
			Context{DistinctID: "x", PersonProperties: map[string]any{"$feature_enrollment/f": "True"}}, outcome{Code: "super_condition_value"}},
		{"a super group applies its own rollout (is_condition_match)",
			`{"id":1,"key":"f","active":true,"filters":{"super_groups":[{"properties":[{"key":"beta","value":["true"]}],"rollout_percentage":0}],"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "x", PersonProperties: map[string]any{"beta": "true"}}, outcome{Code: "super_condition_value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFlag(t, tt.js)
			e := Compile(Definitions{Flags: []flag.Flag{f}, GroupTypes: map[int]string{0: "company"}})
			if diff := cmp.Diff(tt.want, outcomeOf(evalOne(t, e, f.Key, &tt.ctx))); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDateAndSemverCorners pins relative_date.rs (^-?[0-9]+[hdwmy]$, number < 10000, relativedelta-style
// months and years) and the semver crate as to_semver_representation feeds it.
func TestDateAndSemverCorners(t *testing.T) {
	leap := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		op    string
		value string
		prop  any
		now   time.Time
		want  bool
	}{
		{"-24h is exactly -1d", "is_date_exact", `"-24h"`, "2024-03-30T12:00:00Z", fixedNow, true},
		{"1m without a sign is one month back", "is_date_exact", `"1m"`, "2024-02-29T12:00:00Z", fixedNow, true},
		{"-1y from Feb 29 clamps to Feb 28", "is_date_exact", `"-1y"`, "2023-02-28T12:00:00Z", leap, true},
		{"-12m equals -1y", "is_date_exact", `"-12m"`, "2023-02-28T12:00:00Z", leap, true},
		{"000h is now", "is_date_exact", `"000h"`, "2024-03-31T12:00:00Z", fixedNow, true},
		{"-7x is not a date", "is_date_before", `"-7x"`, "2000-01-01", fixedNow, false},
		{"a bare number is not relative", "is_date_before", `"7"`, "2000-01-01", fixedNow, false},
		{"7.5d is not relative", "is_date_before", `"7.5d"`, "2000-01-01", fixedNow, false},
		{"10000d is out of range", "is_date_before", `"-10000d"`, "1900-01-01", fixedNow, false},
		{"9999d is in range", "is_date_before", `"-9999d"`, "1900-01-01", fixedNow, true},
		{"--7d is not relative", "is_date_before", `"--7d"`, "2000-01-01", fixedNow, false},
		{"naive datetime with T and minutes", "is_date_exact", `"2024-01-02T03:04"`, "2024-01-02T03:04:00Z", fixedNow, true},
		{"space-separated RFC 3339", "is_date_exact", `"2024-01-02 03:04:05+00:00"`, "2024-01-02T03:04:05Z", fixedNow, true},
		{"fractional unix seconds", "is_date_after", `"2024-01-01T00:00:00Z"`, "1704067200.5", fixedNow, true},
		{"\"NaN\" parses as f64 and becomes the epoch (NaN as i64 is 0)", "is_date_exact", `"1970-01-01"`, "NaN", fixedNow, true},
		{"\"inf\" is beyond chrono's range", "is_date_after", `"1970-01-01"`, "inf", fixedNow, false},
		// semver
		{"caret excludes a prerelease of a later version", "semver_caret", `"1.2.3"`, "1.3.0-beta", fixedNow, false},
		{"caret excludes a prerelease of the same version", "semver_caret", `"1.2.3"`, "1.2.4-rc.1", fixedNow, false},
		{"caret with a prerelease admits that version's prereleases", "semver_caret", `"1.2.3-alpha"`, "1.2.3-beta", fixedNow, true},
		{"tilde of a padded version (~1.2 is ~1.2.0)", "semver_tilde", `"1.2"`, "1.2.9", fixedNow, true},
		{"caret of 0.0 is ^0.0.0 after padding", "semver_caret", `"0.0"`, "0.0.1", fixedNow, false},
		{"wildcard without a star is a caret requirement", "semver_wildcard", `"1.2.3"`, "1.9.0", fixedNow, true},
		{"* excludes prereleases", "semver_wildcard", `"*"`, "1.0.0-rc.1", fixedNow, false},
		{"1.*.3 is not a requirement", "semver_wildcard", `"1.*.3"`, "1.0.3", fixedNow, false},
		{"build metadata takes part in semver_eq", "semver_eq", `"1.0.0+a"`, "1.0.0+b", fixedNow, false},
		{"build metadata orders semver_gt", "semver_gt", `"1.0.0+a"`, "1.0.0+b", fixedNow, true},
		{"four components never parse", "semver_gte", `"1.0.0"`, "1.2.3.4", fixedNow, false},
		{"an empty component never parses", "semver_gte", `"1.0.0"`, "1..2", fixedNow, false},
		{"a leading space before v does not parse", "semver_gte", `"1.0.0"`, " v1.2.3", fixedNow, false},
		{"v then spaces parses", "semver_gte", `"1.0.0"`, "v 1.2.3", fixedNow, true},
		{"numeric property value", "semver_eq", `"1.2.0"`, 1.2, fixedNow, true},
		{"prerelease leading zero never parses", "semver_lt", `"2.0.0"`, "1.0.0-01", fixedNow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compileOne(t, propFlag(tt.op, tt.value))
			r := evalOne(t, e, "f", &Context{DistinctID: "d", Now: tt.now, PersonProperties: map[string]any{"k": tt.prop}})
			if r.Enabled != tt.want {
				t.Errorf("enabled = %v, want %v", r.Enabled, tt.want)
			}
		})
	}
}

// TestNumberRepresentation pins to_string_representation for numbers the request sent as JSON text
// (the evaluator decodes with UseNumber): serde_json parses them into i64/u64/f64 and prints f64 with
// ryu, so the text a string operator sees is serde's, not the sender's.
func TestNumberRepresentation(t *testing.T) {
	for in, want := range map[string]string{
		"42": "42", "-7": "-7", "18446744073709551615": "18446744073709551615",
		"3.0": "3.0", "1.50": "1.5", "1E2": "100.0", "1e+16": "1e16", "1.5e-7": "1.5e-7", "0.00001": "0.00001",
		"-0.0": "-0.0", "18446744073709551616": "1.8446744073709552e19", "2e16": "2e16", "123456.789": "123456.789",
	} {
		if got := string(appendRepr(nil, json.Number(in))); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
	if got := SerdeNumber("1e3"); got != "1000.0" {
		t.Errorf("SerdeNumber(1e3) = %q", got)
	}
	if got := string(appendRepr(nil, []any{json.Number("1.50"), json.Number("1e+16")})); got != "[1.5,1e16]" {
		t.Errorf("list: %q", got)
	}
}
