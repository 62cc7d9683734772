package postgres

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
	}}}}
	flags := map[int64]int64{101: 5}
	got := rewriteFlagFilters(in, func(id int64) (int64, bool) { to, ok := flags[id]; return to, ok }, map[int64]int64{7: 42})
	props := got.Groups[0].Properties
	if props[0].Key != "5" || props[1].Value != int64(42) || props[2].Key != "999" || props[3].Value != "101" {
		t.Fatalf("rewritten properties = %+v", props)
	}
	if in.Groups[0].Properties[0].Key != "101" {
		t.Fatalf("the input was modified: %+v", in.Groups[0].Properties[0])
	}
}

func TestRewriteCohortFilters(t *testing.T) {
	bare := `{"type":"OR","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":7,"negation":true}]}]}`
	got, err := rewriteCohortFilters(json.RawMessage(bare), map[int64]int64{7: 42})
	if err != nil {
		t.Fatal(err)
	}
	var v any
	_ = json.Unmarshal(got, &v)
	want := map[string]any{"properties": map[string]any{"type": "OR", "values": []any{map[string]any{"type": "AND", "values": []any{
		map[string]any{"key": "id", "type": "cohort", "value": float64(42), "negation": true}}}}}}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
