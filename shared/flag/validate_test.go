package flag

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustParse(tb testing.TB, js string) Flag {
	tb.Helper()
	f, err := ParseFlag([]byte(js))
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestValidatePaths(t *testing.T) {
	tests := []struct {
		name string
		js   string
		want []Problem
	}{
		{"valid", `{"key":"ok","filters":{"groups":[{"properties":[{"key":"email","type":"person","operator":"icontains","value":"@x"}],"rollout_percentage":50}]}}`, nil},
		{"look-around regex", `{"key":"f","filters":{"groups":[{"properties":[],"rollout_percentage":1},{"properties":[{"key":"a","operator":"regex","value":"(?=x)"}]}]}}`,
			[]Problem{{Path: "filters.groups[1].properties[0].value", Message: "Go's RE2 cannot compile this pattern (look-around and back-references are not supported): error parsing regexp: invalid or unsupported Perl syntax: `(?=`"}}},
		{"bad operator", `{"key":"f","filters":{"groups":[{"properties":[{"key":"a","operator":"like","value":"x"}]}]}}`,
			[]Problem{{Path: "filters.groups[0].properties[0].operator", Message: `unknown operator "like"`}}},
		{"variants must sum to 100", `{"key":"f","filters":{"multivariate":{"variants":[{"key":"a","rollout_percentage":50}]},"groups":[]}}`,
			[]Problem{{Path: "filters.multivariate.variants", Message: "rollout percentages must sum to 100, got 50"}}},
		{"rollout range and key", `{"key":"bad key","filters":{"groups":[{"rollout_percentage":101}]}}`,
			[]Problem{{Path: "key", Message: "must be non-empty and contain only letters, digits, '-' and '_'"}, {Path: "filters.groups[0].rollout_percentage", Message: "must be between 0 and 100"}}},
		{"semver and date", `{"key":"f","filters":{"groups":[{"properties":[{"key":"v","operator":"semver_gt","value":"1.x"},{"key":"d","operator":"is_date_after","value":"soon"}]}]}}`,
			[]Problem{{Path: "filters.groups[0].properties[0].value", Message: "must be a semantic version such as 1.2.3"}, {Path: "filters.groups[0].properties[1].value", Message: "must be a date (2024-06-01, RFC 3339) or a relative date such as -7d"}}},
		{"runtime and contexts", `{"key":"f","evaluation_runtime":"client","evaluation_contexts":["web","docs"],"filters":{"groups":[]}}`, nil},
		{"unknown runtime", `{"key":"f","evaluation_runtime":"edge","filters":{"groups":[]}}`,
			[]Problem{{Path: "evaluation_runtime", Message: `must be all, client or server, got "edge"`}}},
		{"bad contexts", `{"key":"f","evaluation_contexts":["web","","web"],"filters":{"groups":[]}}`,
			[]Problem{{Path: "evaluation_contexts[1]", Message: "a context is 1 to 100 bytes"}, {Path: "evaluation_contexts[2]", Message: `"web" is listed twice`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.js)
			if diff := cmp.Diff(tt.want, Validate(&f)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateSet(t *testing.T) {
	flags := []Flag{
		mustParse(t, `{"id":1,"key":"a","filters":{"groups":[{"properties":[{"key":"2","type":"flag","operator":"flag_evaluates_to","value":true}]}]}}`),
		mustParse(t, `{"id":2,"key":"b","filters":{"groups":[{"properties":[{"key":"1","type":"flag","operator":"flag_evaluates_to","value":true}]}]}}`),
		mustParse(t, `{"id":3,"key":"c","filters":{"groups":[{"properties":[{"key":"9","type":"flag","operator":"flag_evaluates_to","value":"x"},{"key":"id","type":"cohort","value":5}]}]}}`),
	}
	got := ValidateSet(flags, []Cohort{{ID: 5, Filters: []byte(`{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":6}]}]}}`)}})
	want := []Problem{
		{Flag: "c", Path: "filters.groups[0].properties[0].key", Message: "flag 9 does not exist"},
		{Flag: "c", Path: "filters.groups[0].properties[1].value", Message: "cohort 6 does not exist"},
		{Flag: "a", Path: "filters.groups", Message: "flag dependencies form a cycle through this flag"},
		{Flag: "b", Path: "filters.groups", Message: "flag dependencies form a cycle through this flag"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseLocalEvaluation(t *testing.T) {
	le, err := ParseLocalEvaluation([]byte(`{"flags":[{"id":1,"team_id":2,"key":"k","name":null,"active":true,"filters":{"groups":[{"properties":[],"rollout_percentage":null,"aggregation_group_type_index":null}],"aggregation_group_type_index":0},"ensure_experience_continuity":false,"evaluation_runtime":"all"}],
		"group_type_mapping":{"0":"company"},"cohorts":{"7":{"type":"OR","values":[{"type":"AND","values":[{"key":"email","type":"person","value":"x","operator":"icontains"}]}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if le.GroupTypes[0] != "company" || len(le.Flags) != 1 || len(le.Cohorts) != 1 || le.Cohorts[0].ID != 7 {
		t.Fatalf("parsed %+v", le)
	}
	// An explicit null per-condition aggregation means "person" even on a group flag (PostHog's
	// effective_aggregation), and must survive a JSON round trip.
	c := le.Flags[0].Filters.Groups[0]
	if c.EffectiveAggregation(le.Flags[0].Filters.AggregationGroupTypeIndex) != nil {
		t.Error("explicit null aggregation inherited the flag-level index")
	}
	tree, err := le.Cohorts[0].PropertyTree()
	if err != nil || tree.Type != "OR" || tree.Values[0].Group.Values[0].Filter.Key != "email" {
		t.Errorf("tree %+v, %v", tree, err)
	}
	b, err := MarshalLocalEvaluation(le)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseLocalEvaluation(b)
	if err != nil || !again.Flags[0].Filters.Groups[0].AggregationExplicit {
		t.Errorf("round trip lost the explicit null: %s", b)
	}
}
