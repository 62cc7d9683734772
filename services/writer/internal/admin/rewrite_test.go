package admin

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

func TestRewriteFlagFilters(t *testing.T) {
	in := flag.Filters{Groups: []flag.Condition{{Properties: []flag.Property{
		{Key: "101", Type: "flag", Operator: "flag_evaluates_to", Value: true},
		{Key: "id", Type: "cohort", Value: float64(7)},
		{Key: "999", Type: "flag", Operator: "flag_evaluates_to", Value: true}, // not mapped: kept, validation judges it
		{Key: "email", Type: "person", Operator: "exact", Value: "101"},
		{Key: "id", Type: "cohort", Value: float64(8)}, // not mapped either
		{Key: "not-an-id", Type: "flag", Operator: "flag_evaluates_to", Value: true},
	}}}, HoldoutGroups: []flag.Condition{{Properties: []flag.Property{{Key: "101", Type: "flag", Value: false}}}}}
	flags := map[int64]int64{101: 5}
	got := RewriteFlagFilters(in, func(id int64) (int64, bool) { to, ok := flags[id]; return to, ok }, map[int64]int64{7: 42})
	want := []flag.Property{
		{Key: "5", Type: "flag", Operator: "flag_evaluates_to", Value: true},
		{Key: "id", Type: "cohort", Value: int64(42)},
		{Key: "999", Type: "flag", Operator: "flag_evaluates_to", Value: true},
		{Key: "email", Type: "person", Operator: "exact", Value: "101"},
		{Key: "id", Type: "cohort", Value: json.Number("8")}, // the copy keeps the number's text
		{Key: "not-an-id", Type: "flag", Operator: "flag_evaluates_to", Value: true},
	}
	if diff := cmp.Diff(want, got.Groups[0].Properties); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if k := got.HoldoutGroups[0].Properties[0].Key; k != "5" {
		t.Errorf("holdout group dependency = %s, want 5", k)
	}
	if in.Groups[0].Properties[0].Key != "101" {
		t.Fatalf("the input was modified: %+v", in.Groups[0].Properties[0])
	}
}

func TestRewriteCohortFilters(t *testing.T) {
	tests := []struct {
		name, in string
		want     any // decoded JSON; nil when the input comes back unchanged
		fails    bool
	}{
		{"bare tree", `{"type":"OR","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":7,"negation":true}]}]}`,
			map[string]any{"properties": map[string]any{"type": "OR", "values": []any{map[string]any{"type": "AND", "values": []any{
				map[string]any{"key": "id", "type": "cohort", "value": float64(42), "negation": true}}}}}}, false},
		{"stored shape", `{"properties":{"type":"AND","values":[{"key":"email","type":"person","operator":"exact","value":"a"}]}}`,
			map[string]any{"properties": map[string]any{"type": "AND", "values": []any{
				map[string]any{"key": "email", "type": "person", "operator": "exact", "value": "a"}}}}, false},
		{"no filters", ``, nil, false},
		{"broken", `{"properties": 1}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RewriteCohortFilters(json.RawMessage(tt.in), map[int64]int64{7: 42})
			if (err != nil) != tt.fails {
				t.Fatalf("error %v, want failure %v", err, tt.fails)
			}
			if tt.want == nil {
				if string(got) != tt.in {
					t.Errorf("got %s, want the input back", got)
				}
				return
			}
			var v any
			if err := json.Unmarshal(got, &v); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, v); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEachCondition(t *testing.T) {
	fl := flag.Filters{Groups: make([]flag.Condition, 2), SuperGroups: make([]flag.Condition, 1), HoldoutGroups: make([]flag.Condition, 1)}
	var got []string
	EachCondition(&fl, func(path string, _ *flag.Condition) { got = append(got, path) })
	if diff := cmp.Diff([]string{"groups[0]", "groups[1]", "super_groups[0]", "holdout_groups[0]"}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	EachTreeProperty(nil, func(*flag.Property) { t.Error("a nil tree has properties") })
}
