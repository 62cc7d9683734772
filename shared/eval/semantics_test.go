package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

type outcome struct {
	Enabled bool
	Variant string
	Payload string
	Code    string
	Index   int
	Failed  bool
}

func outcomeOf(r Result) outcome {
	return outcome{r.Enabled, r.Variant, string(r.Payload), r.Reason.Code, r.Reason.ConditionIndex, r.Failed}
}

// TestSemantics pins get_match: order, reasons and their priority, holdouts, early access, groups,
// device bucketing, cohorts and dependencies.
func TestSemantics(t *testing.T) {
	cohorts := []flag.Cohort{
		{ID: 1, IsStatic: true, Members: []string{"member"}},
		{ID: 2, Filters: []byte(`{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"email","type":"person","operator":"icontains","value":"@corp"},{"key":"id","type":"cohort","value":1,"negation":true}]}]}}`)},
		{ID: 3, Filters: []byte(`{"properties":{"type":"AND","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":4}]}]}}`)},
		{ID: 4, Filters: []byte(`{"properties":{"type":"AND","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":3}]}]}}`)},
	}
	tests := []struct {
		name string
		js   string
		ctx  Context
		want outcome
	}{
		{"no conditions reports no_group_type (PostHog's floor reason)",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[]}}`, Context{DistinctID: "a"},
			outcome{Code: "no_group_type", Index: -1}},
		{"out of rollout outranks no match; later index on ties",
			`{"id":1,"key":"simple-flag","active":true,"filters":{"groups":[{"properties":[{"key":"x","operator":"exact","value":"y"}]},{"rollout_percentage":45},{"properties":[{"key":"x","operator":"exact","value":"y"}]}]}}`,
			Context{DistinctID: "distinct_id_0"}, outcome{Code: "out_of_rollout_bound", Index: 1}},
		{"conditions in stored order: first match wins even without a variant override",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"rollout_percentage":100},{"rollout_percentage":100,"variant":"b"}],"multivariate":{"variants":[{"key":"a","rollout_percentage":100},{"key":"b","rollout_percentage":0}]}}}`,
			Context{DistinctID: "x"}, outcome{Enabled: true, Variant: "a", Code: "condition_match", Index: 0}},
		{"variant override and its payload",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"rollout_percentage":100,"variant":"b"}],"multivariate":{"variants":[{"key":"a","rollout_percentage":100},{"key":"b","rollout_percentage":0}]},"payloads":{"b":7}}}`,
			Context{DistinctID: "x"}, outcome{Enabled: true, Variant: "b", Payload: "7", Code: "condition_match", Index: 0}},
		{"undeclared variant override falls back to the hash",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"rollout_percentage":100,"variant":"zzz"}],"multivariate":{"variants":[{"key":"a","rollout_percentage":100}]}}}`,
			Context{DistinctID: "x"}, outcome{Enabled: true, Variant: "a", Code: "condition_match", Index: 0}},
		{"holdout 7 at 10% holds user-31 out with variant holdout-7",
			`{"id":1,"key":"f","active":true,"filters":{"holdout":{"id":7,"exclusion_percentage":10},"groups":[{"rollout_percentage":100}],"payloads":{"holdout-7":1}}}`,
			Context{DistinctID: "user-31"}, outcome{Enabled: true, Variant: "holdout-7", Payload: "1", Code: "holdout_condition_value", Index: -1}},
		{"holdout 7 at 10% lets user-77 through",
			`{"id":1,"key":"f","active":true,"filters":{"holdout":{"id":7,"exclusion_percentage":10},"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "user-77"}, outcome{Enabled: true, Code: "condition_match", Index: 0}},
		{"empty identifier in a holdout hashes holdout-: in at 93%",
			`{"id":1,"key":"f","active":true,"filters":{"holdout":{"id":1,"exclusion_percentage":93},"groups":[]}}`,
			Context{}, outcome{Enabled: true, Variant: "holdout-1", Code: "holdout_condition_value", Index: -1}},
		{"legacy holdout_groups are ignored (flag_models.rs FlagFilters has no such field)",
			`{"id":1,"key":"f","active":true,"filters":{"holdout_groups":[{"properties":[],"rollout_percentage":10,"variant":"holdout-3"}],"groups":[]}}`,
			Context{DistinctID: "user-31"}, outcome{Code: "no_group_type", Index: -1}},
		{"feature_enrollment decides when the person has the property",
			`{"id":1,"key":"f","active":true,"filters":{"feature_enrollment":true,"groups":[{"rollout_percentage":100}],"payloads":{"true":1}}}`,
			Context{DistinctID: "x", PersonProperties: map[string]any{"$feature_enrollment/f": false}}, outcome{Payload: "1", Code: "super_condition_value", Index: 0}},
		{"legacy super_groups",
			`{"id":1,"key":"f","active":true,"filters":{"super_groups":[{"properties":[{"key":"$feature_enrollment/f","type":"person","operator":"exact","value":["true"]}],"rollout_percentage":100}],"groups":[]}}`,
			Context{DistinctID: "x", PersonProperties: map[string]any{"$feature_enrollment/f": true}}, outcome{Enabled: true, Code: "super_condition_value", Index: 0}},
		{"group flag hashes the group key (org-dashboard.42 in at 60%)",
			`{"id":1,"key":"org-dashboard","active":true,"filters":{"aggregation_group_type_index":0,"groups":[{"rollout_percentage":60}]}}`,
			Context{DistinctID: "x", Groups: map[string]string{"company": "42"}}, outcome{Enabled: true, Code: "condition_match", Index: 0}},
		{"group flag out at 59%",
			`{"id":1,"key":"org-dashboard","active":true,"filters":{"aggregation_group_type_index":0,"groups":[{"rollout_percentage":59}]}}`,
			Context{DistinctID: "x", Groups: map[string]string{"company": "42"}}, outcome{Code: "out_of_rollout_bound", Index: 0}},
		{"group flag without the group",
			`{"id":1,"key":"f","active":true,"filters":{"aggregation_group_type_index":0,"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "no_group_type", Index: 0}},
		{"mixed: person condition fails, group skipped",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"a","operator":"exact","value":"b"}]},{"aggregation_group_type_index":0,"rollout_percentage":100}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "no_condition_match", Index: 0}},
		{"group property filter reads that group's properties",
			`{"id":1,"key":"f","active":true,"filters":{"aggregation_group_type_index":0,"groups":[{"properties":[{"key":"plan","type":"group","group_type_index":0,"operator":"exact","value":"pro"}]}]}}`,
			Context{DistinctID: "x", Groups: map[string]string{"company": "c1"}, GroupProperties: map[string]map[string]any{"company": {"plan": "pro"}}}, outcome{Enabled: true, Code: "condition_match", Index: 0}},
		{"device_id bucketing without a device id",
			`{"id":1,"key":"f","active":true,"bucketing_identifier":"device_id","filters":{"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "out_of_rollout_bound", Index: 0}},
		{"device_id bucketing hashes the device id",
			`{"id":1,"key":"simple-flag","active":true,"bucketing_identifier":"device_id","filters":{"groups":[{"rollout_percentage":45}]}}`,
			Context{DistinctID: "distinct_id_0", DeviceID: "distinct_id_1"}, outcome{Enabled: true, Code: "condition_match", Index: 0}},
		{"inactive flag", `{"id":1,"key":"f","active":false,"filters":{"groups":[{"rollout_percentage":100}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "flag_disabled", Index: -1}},
		{"static cohort member",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","operator":"in","value":1}]}]}}`,
			Context{DistinctID: "member"}, outcome{Enabled: true, Code: "condition_match", Index: 0}},
		{"not_in static cohort",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","operator":"not_in","value":1}]}]}}`,
			Context{DistinctID: "member"}, outcome{Code: "no_condition_match", Index: 0}},
		{"property cohort with a negated nested cohort",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":2}]}]}}`,
			Context{DistinctID: "someone", PersonProperties: map[string]any{"email": "a@corp.com"}}, outcome{Enabled: true, Code: "condition_match", Index: 0}},
		{"negated nested cohort excludes its members",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":2}]}]}}`,
			Context{DistinctID: "member", PersonProperties: map[string]any{"email": "a@corp.com"}}, outcome{Code: "no_condition_match", Index: 0}},
		{"missing cohort fails closed",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":99}]}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "dependency_not_found", Index: -1, Failed: true}},
		{"cyclic cohorts fail closed",
			`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":3}]}]}}`,
			Context{DistinctID: "x"}, outcome{Code: "dependency_cycle", Index: -1, Failed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFlag(t, tt.js)
			e := Compile(Definitions{Flags: []flag.Flag{f}, Cohorts: cohorts, GroupTypes: map[int]string{0: "company"}})
			if diff := cmp.Diff(tt.want, outcomeOf(evalOne(t, e, f.Key, &tt.ctx))); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDependencies pins flag_evaluates_to and missing_dependency (missing, deleted and cyclic flags).
func TestDependencies(t *testing.T) {
	e := Compile(Definitions{Flags: mustFlags(t, `[
		{"id":1,"key":"base","active":true,"filters":{"groups":[{"rollout_percentage":100}],"multivariate":{"variants":[{"key":"v","rollout_percentage":100}]}}},
		{"id":2,"key":"off","active":false,"filters":{"groups":[]}},
		{"id":3,"key":"on-base","active":true,"filters":{"groups":[{"properties":[{"key":"1","type":"flag","operator":"flag_evaluates_to","value":true}]}]}},
		{"id":4,"key":"variant-base","active":true,"filters":{"groups":[{"properties":[{"key":"1","type":"flag","operator":"flag_evaluates_to","value":"v"}]}]}},
		{"id":5,"key":"off-is-false","active":true,"filters":{"groups":[{"properties":[{"key":"2","type":"flag","operator":"flag_evaluates_to","value":false}]}]}},
		{"id":6,"key":"missing","active":true,"filters":{"groups":[{"properties":[{"key":"77","type":"flag","operator":"flag_evaluates_to","value":true}]}]}},
		{"id":7,"key":"cycle-a","active":true,"filters":{"groups":[{"properties":[{"key":"8","type":"flag","operator":"flag_evaluates_to","value":true}]}]}},
		{"id":8,"key":"cycle-b","active":true,"filters":{"groups":[{"properties":[{"key":"7","type":"flag","operator":"flag_evaluates_to","value":true}]}]}},
		{"id":9,"key":"on-cycle","active":true,"filters":{"groups":[{"properties":[{"key":"7","type":"flag","operator":"flag_evaluates_to","value":true}]}]}},
		{"id":10,"key":"gone","deleted":true,"active":true,"filters":{"groups":[]}},
		{"id":11,"key":"on-deleted","active":true,"filters":{"groups":[{"properties":[{"key":"10","type":"flag","operator":"flag_evaluates_to","value":false}]}]}}]`)})
	want := map[string]outcome{
		"base":         {Enabled: true, Variant: "v", Code: "condition_match"},
		"off":          {Code: "flag_disabled", Index: -1},
		"on-base":      {Enabled: true, Code: "condition_match"},
		"variant-base": {Enabled: true, Code: "condition_match"},
		"off-is-false": {Enabled: true, Code: "condition_match"},
		"missing":      {Code: "missing_dependency", Index: -1},
		"cycle-a":      {Code: "missing_dependency", Index: -1},
		"cycle-b":      {Code: "missing_dependency", Index: -1},
		"on-cycle":     {Code: "missing_dependency", Index: -1},
		"on-deleted":   {Code: "missing_dependency", Index: -1},
	}
	got := map[string]outcome{}
	for _, r := range e.EvaluateAll(&Context{DistinctID: "x"}, nil) {
		got[r.Key] = outcomeOf(r)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EvaluateAll mismatch (-want +got):\n%s", diff)
	}
	for key, w := range want {
		if r, _ := e.Evaluate(key, &Context{DistinctID: "x"}); outcomeOf(r) != w {
			t.Errorf("Evaluate(%s) = %+v, want %+v", key, outcomeOf(r), w)
		}
		if rs := e.EvaluateKeys([]string{key}, &Context{DistinctID: "x"}, nil); len(rs) != 1 || outcomeOf(rs[0]) != w {
			t.Errorf("EvaluateKeys(%s) = %+v, want %+v", key, rs, w)
		}
	}
}
