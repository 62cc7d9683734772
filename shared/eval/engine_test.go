package eval

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRollout pins check_rollout: hash <= pct/100, null rollout = 100, the published 45% sequence.
func TestRollout(t *testing.T) {
	e := compileOne(t, `{"id":1,"key":"simple-flag","active":true,"version":3,"filters":{"groups":[{"properties":[],"rollout_percentage":45}]}}`)
	want := "FTTFTFFTFT" // testdata/posthog-hash-vectors.md
	for i := 0; i < 10; i++ {
		r := evalOne(t, e, "simple-flag", &Context{DistinctID: fmt.Sprintf("distinct_id_%d", i)})
		got := "F"
		if r.Enabled {
			got = "T"
		}
		if got != want[i:i+1] {
			t.Errorf("distinct_id_%d: enabled=%v, want %s", i, r.Enabled, want[i:i+1])
		}
	}
	r := evalOne(t, e, "simple-flag", &Context{DistinctID: "distinct_id_0"})
	wantR := Result{Key: "simple-flag", FlagID: 1, Version: 3, Reason: Reason{Code: "out_of_rollout_bound", ConditionIndex: 0, Description: "Out of rollout bound"}}
	if diff := cmp.Diff(wantR, r); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestRolloutBoundaries(t *testing.T) {
	tests := []struct {
		name string
		pct  string
		key  string
		id   string
		want bool
	}{
		{"1% includes 0.00910 (binary64 division)", "1", "beta-search", "user-17", true},
		{"25.5% excludes 0.2851", "25.5", "beta-search-rollout", "user-105", false},
		{"28% excludes 0.2851", "28", "beta-search-rollout", "user-105", false},
		{"29% includes 0.2851", "29", "beta-search-rollout", "user-105", true},
		{"empty id hashes to 0: in at 0%", "0", "beta-search", "", true},
		{"null rollout is 100%", "null", "beta-search", "user-105", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compileOne(t, `{"id":1,"key":"`+tt.key+`","active":true,"filters":{"groups":[{"properties":[],"rollout_percentage":`+tt.pct+`}]}}`)
			if got := evalOne(t, e, tt.key, &Context{DistinctID: tt.id}).Enabled; got != tt.want {
				t.Errorf("enabled = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestVariants pins get_matching_variant: cumulative binary64 boundaries, first with hash < boundary,
// and payloads by variant key.
func TestVariants(t *testing.T) {
	e := compileOne(t, `{"id":7,"key":"checkout-layout","active":true,"filters":{
		"groups":[{"properties":[],"rollout_percentage":100}],
		"multivariate":{"variants":[{"key":"control","rollout_percentage":50},{"key":"compact","rollout_percentage":25},{"key":"spacious","rollout_percentage":25}]},
		"payloads":{"compact":"{\"rows\":3}","true":"1"}}}`)
	tests := []struct {
		id      string
		variant string
		payload string
	}{
		{"user-61", "compact", `"{\"rows\":3}"`},
		{"user-17", "control", ""},
	}
	for _, tt := range tests {
		r := evalOne(t, e, "checkout-layout", &Context{DistinctID: tt.id})
		if r.Variant != tt.variant || string(r.Payload) != tt.payload || !r.Enabled {
			t.Errorf("%s: got %+v, want variant %s payload %s", tt.id, r, tt.variant, tt.payload)
		}
		if r.Reason.Code != "condition_match" || r.Reason.Description != "Matched condition set 1" {
			t.Errorf("%s: reason %+v", tt.id, r.Reason)
		}
	}
}

// TestBooleanPayload pins get_matching_payload: a boolean match returns payloads["true"].
func TestBooleanPayload(t *testing.T) {
	e := compileOne(t, `{"id":1,"key":"f","active":true,"filters":{"groups":[{"rollout_percentage":100}],"payloads":{"true":{"a":1}}}}`)
	r := evalOne(t, e, "f", &Context{DistinctID: "x"})
	if diff := cmp.Diff(json.RawMessage(`{"a":1}`), r.Payload); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}

// TestExactIsNotIsSet pins match_property for the basic operators (case-insensitive, lists, booleans,
// missing properties).
func TestExactIsNotIsSet(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		value string
		props map[string]any
		want  bool
	}{
		{"exact string", "exact", `"value"`, map[string]any{"key": "value"}, true},
		{"exact is case-insensitive", "exact", `"VaLue"`, map[string]any{"key": "value"}, true},
		{"exact other", "exact", `"value"`, map[string]any{"key": "value2"}, false},
		{"exact missing", "exact", `"value"`, map[string]any{}, false},
		{"exact null property", "exact", `"value"`, map[string]any{"key": nil}, false},
		{"exact list", "exact", `["US","CA","Uk"]`, map[string]any{"key": "uk"}, true},
		{"exact list miss", "exact", `["US","CA"]`, map[string]any{"key": "de"}, false},
		{"exact empty list never", "exact", `[]`, map[string]any{"key": "us"}, false},
		{"exact number vs string", "exact", `5`, map[string]any{"key": "5"}, true},
		{"exact number from json", "exact", `"5"`, map[string]any{"key": float64(5)}, true},
		{"exact number from msgpack", "exact", `"5"`, map[string]any{"key": int8(5)}, true},
		{"exact bool-like string", "exact", `"true"`, map[string]any{"key": true}, true},
		{"exact bool-like True", "exact", `["True"]`, map[string]any{"key": "true"}, true},
		{"exact false vs missing-ish", "exact", `false`, map[string]any{"key": "nope"}, true},
		{"is_not", "is_not", `"value"`, map[string]any{"key": "value2"}, true},
		{"is_not equal", "is_not", `"value"`, map[string]any{"key": "VALUE"}, false},
		{"is_not missing matches", "is_not", `"value"`, map[string]any{}, true},
		{"is_not list", "is_not", `["a","b"]`, map[string]any{"key": "b"}, false},
		{"is_set", "is_set", `"is_set"`, map[string]any{"key": nil}, true},
		{"is_set missing", "is_set", `"is_set"`, map[string]any{}, false},
		{"is_not_set missing", "is_not_set", `"is_not_set"`, map[string]any{}, true},
		{"is_not_set present", "is_not_set", `"is_not_set"`, map[string]any{"key": ""}, false},
		{"default operator is exact", "", `"value"`, map[string]any{"key": "value"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := compileOne(t, `{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"key","type":"person","operator":"`+tt.op+`","value":`+tt.value+`}],"rollout_percentage":100}]}}`)
			r := evalOne(t, e, "f", &Context{DistinctID: "d", PersonProperties: tt.props})
			if r.Enabled != tt.want {
				t.Errorf("enabled = %v, want %v (%+v)", r.Enabled, tt.want, r.Reason)
			}
		})
	}
}

func TestEvaluateAllAndKeys(t *testing.T) {
	e := Compile(Definitions{Flags: mustFlags(t, `[
		{"id":2,"key":"b","active":true,"filters":{"groups":[{"rollout_percentage":100}]}},
		{"id":1,"key":"a","active":false,"filters":{"groups":[{"rollout_percentage":100}]}},
		{"id":3,"key":"c","deleted":true,"active":true,"filters":{"groups":[]}}]`)})
	if diff := cmp.Diff([]string{"a", "b"}, e.Keys()); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	all := e.EvaluateAll(&Context{DistinctID: "x"}, nil)
	if len(all) != 2 || all[0].Reason.Code != "flag_disabled" || !all[1].Enabled {
		t.Errorf("EvaluateAll = %+v", all)
	}
	some := e.EvaluateKeys([]string{"b", "nope"}, &Context{DistinctID: "x"}, nil)
	if len(some) != 1 || some[0].Key != "b" {
		t.Errorf("EvaluateKeys = %+v", some)
	}
}

// TestEvaluateIntoReusedResults: results are written over whatever dst held (the evaluator reuses pooled
// slices), and EvaluateAll, EvaluateKeys and Evaluate agree. EvaluateAll's order is Keys(), strictly sorted
// (the evaluator writes the answers' sorted maps from it without sorting again).
func TestEvaluateIntoReusedResults(t *testing.T) {
	flags := append(manyFlags(30), mustFlag(t, richFlag), mustFlag(t,
		`{"id":90,"key":"dep","active":true,"filters":{"groups":[{"properties":[{"key":"2","type":"flag","operator":"flag_evaluates_to","value":true}]}]}}`),
		mustFlag(t, `{"id":91,"key":"off","active":false,"filters":{"groups":[]}}`))
	e := Compile(Definitions{Flags: flags})
	c := richContext()
	want := e.EvaluateAll(c, nil)
	garbage := Result{Key: "stale", FlagID: 99, Enabled: true, Variant: "x", Payload: []byte(`1`), Failed: true,
		Reason: Reason{Code: "stale", ConditionIndex: 7, Description: "stale"}}
	dst := make([]Result, len(want)+3)
	for i := range dst {
		dst[i] = garbage
	}
	if diff := cmp.Diff(want, e.EvaluateAll(c, dst[:0])); diff != "" {
		t.Errorf("EvaluateAll over stale results mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, e.EvaluateKeys(e.Keys(), c, dst[:0])); diff != "" {
		t.Errorf("EvaluateKeys mismatch (-want +got):\n%s", diff)
	}
	for i, k := range e.Keys() {
		if i > 0 && e.Keys()[i-1] >= k {
			t.Errorf("Keys() not strictly sorted at %d: %q, %q", i, e.Keys()[i-1], k)
		}
		if diff := cmp.Diff(want[i], evalOne(t, e, k, c)); diff != "" {
			t.Errorf("Evaluate(%s) mismatch (-want +got):\n%s", k, diff)
		}
	}
}
