package admin

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

// parsedFlag is a flag from its JSON, as PUT /flags/{key} or a snapshot carries it.
func parsedFlag(tb testing.TB, js string) flag.Flag {
	tb.Helper()
	f, err := flag.ParseFlag([]byte(js))
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func evaluationDefinitions(tb testing.TB) Definitions {
	tb.Helper()
	return Definitions{Version: 7, GroupTypes: map[int]string{0: "company"}, Flags: []flag.Flag{
		parsedFlag(tb, `{"id": 1, "key": "beta", "active": true, "version": 3, "filters": {"groups": [
			{"properties": [{"key": "plan", "type": "person", "operator": "exact", "value": ["pro"]}], "rollout_percentage": 100}],
			"payloads": {"true": {"banner": "hello"}}}}`),
		parsedFlag(tb, `{"id": 2, "key": "checkout", "active": true, "filters": {"groups": [{"properties": [], "rollout_percentage": 100}],
			"multivariate": {"variants": [{"key": "control", "rollout_percentage": 0}, {"key": "test", "rollout_percentage": 100}]},
			"payloads": {"test": "\"blue\""}}}`),
		parsedFlag(tb, `{"id": 3, "key": "off", "active": false, "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}`),
		parsedFlag(tb, `{"id": 4, "key": "companies", "active": true, "filters": {"aggregation_group_type_index": 0, "groups": [
			{"properties": [{"key": "$group_key", "type": "group", "group_type_index": 0, "operator": "exact", "value": ["acme"]}], "rollout_percentage": 100}]}}`),
		parsedFlag(tb, `{"id": 5, "key": "needs-beta", "active": true, "filters": {"groups": [
			{"properties": [{"key": "1", "type": "flag", "operator": "flag_evaluates_to", "value": true}], "rollout_percentage": 100}]}}`),
	}}
}

func draft(tb testing.TB, js string) *FlagSpec {
	tb.Helper()
	return &FlagSpec{Flag: parsedFlag(tb, js)}
}

func at(i int) *int { return &i }

func TestEvaluate(t *testing.T) {
	on := func(i int) FlagEvaluation {
		return FlagEvaluation{Enabled: true, Reason: EvaluationReason{Code: "condition_match", ConditionIndex: at(i), Description: "Matched condition set 1"}}
	}
	noMatch := FlagEvaluation{Reason: EvaluationReason{Code: "no_condition_match", ConditionIndex: at(0), Description: "No matching condition set"}}
	withPayload := func(fe FlagEvaluation, p string) FlagEvaluation { fe.Payload = json.RawMessage(p); return fe }
	variant := func(fe FlagEvaluation, v string) FlagEvaluation { fe.Variant = &v; return fe }
	tests := []struct {
		name string
		req  EvaluationRequest
		want map[string]FlagEvaluation
	}{
		{"every flag", EvaluationRequest{DistinctID: "u1", PersonProperties: map[string]any{"plan": "pro"}, Groups: map[string]string{"company": "acme"}},
			map[string]FlagEvaluation{
				"beta":       withPayload(on(0), `{"banner": "hello"}`),
				"checkout":   withPayload(variant(on(0), "test"), `"\"blue\""`),
				"off":        {Reason: EvaluationReason{Code: "flag_disabled", Description: "Feature flag is disabled"}},
				"companies":  on(0),
				"needs-beta": on(0),
			}},
		{"chosen flags, no match", EvaluationRequest{DistinctID: "u2", PersonProperties: map[string]any{"plan": "free"}, FlagKeys: []string{"beta", "needs-beta", "companies"}},
			map[string]FlagEvaluation{"beta": noMatch, "needs-beta": noMatch,
				"companies": {Reason: EvaluationReason{Code: "no_group_type", ConditionIndex: at(0), Description: "No group type"}}}},
		{"a draft replaces its flag; dependents see it", EvaluationRequest{DistinctID: "u2", PersonProperties: map[string]any{"plan": "free"}, FlagKeys: []string{"beta", "needs-beta"},
			Draft: draft(t, `{"key": "beta", "active": true, "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}`)},
			map[string]FlagEvaluation{"beta": on(0), "needs-beta": on(0)}},
		{"a draft of a new flag", EvaluationRequest{DistinctID: "u1", FlagKeys: []string{"brand-new"},
			Draft: draft(t, `{"key": "brand-new", "active": true, "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}`)},
			map[string]FlagEvaluation{"brand-new": on(0)}},
		{"no flag asked", EvaluationRequest{DistinctID: "u1", FlagKeys: []string{}}, map[string]FlagEvaluation{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defs := evaluationDefinitions(t)
			got, err := Evaluate(defs, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got.EnvironmentVersion != 7 {
				t.Errorf("environment version %d, want 7", got.EnvironmentVersion)
			}
			if diff := cmp.Diff(tt.want, got.Flags); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(evaluationDefinitions(t), defs); diff != "" {
				t.Errorf("Evaluate changed its definitions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateRefuses(t *testing.T) {
	tests := []struct {
		name     string
		req      EvaluationRequest
		problems []flag.Problem
	}{
		{"no distinct id, unknown flags", EvaluationRequest{FlagKeys: []string{"beta", "nope"}}, []flag.Problem{
			{Path: "distinct_id", Message: "distinct_id is required"},
			{Path: "flag_keys[1]", Message: `the environment has no live flag "nope"`}}},
		{"a draft that does not validate", EvaluationRequest{DistinctID: "u1",
			Draft: draft(t, `{"key": "beta", "filters": {"groups": [{"properties": [], "rollout_percentage": 150}]}}`)}, []flag.Problem{
			{Path: "draft.filters.groups[0].rollout_percentage", Message: "must be between 0 and 100"}}},
		{"a draft without a key, and no distinct id", EvaluationRequest{Draft: draft(t, `{"filters": {"groups": []}}`)}, []flag.Problem{
			{Path: "distinct_id", Message: "distinct_id is required"},
			{Path: "draft.key", Message: "key must be 1-200 letters, digits, '-' or '_'"}}},
		{"a draft depending on a missing flag", EvaluationRequest{DistinctID: "u1",
			Draft: draft(t, `{"key": "beta", "filters": {"groups": [{"properties": [{"key": "99", "type": "flag", "operator": "flag_evaluates_to", "value": true}], "rollout_percentage": 100}]}}`)},
			[]flag.Problem{{Path: "draft.filters.groups[0].properties[0].key", Message: "flag 99 does not exist"}}},
		{"a draft closing a dependency cycle", EvaluationRequest{DistinctID: "u1",
			Draft: draft(t, `{"key": "beta", "filters": {"groups": [{"properties": [{"key": "5", "type": "flag", "operator": "flag_evaluates_to", "value": true}], "rollout_percentage": 100}]}}`)},
			[]flag.Problem{
				{Path: "draft.filters.groups", Message: "flag dependencies form a cycle through this flag"},
				{Flag: "needs-beta", Path: "filters.groups", Message: "flag dependencies form a cycle through this flag"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(evaluationDefinitions(t), tt.req)
			if diff := cmp.Diff(tt.problems, problemsOf(t, err)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
