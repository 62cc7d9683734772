package eval

import (
	"encoding/json"
	"math"
	"testing"
)

// TestRunNumberIsToFloat: the per-call cache of parsed numbers answers exactly what toFloat does, for every
// kind of value, repeated texts (as json.Number and as string), and more distinct texts than it keeps.
func TestRunNumberIsToFloat(t *testing.T) {
	values := []any{
		json.Number("37"), json.Number("37"), "37", json.Number("37.0"), "1e3", json.Number("1E3"),
		"abc", "abc", "", " 37", "37 ", "-0", "+5", "inf", "-Infinity", "NaN", "nan", "1_000", "0x10",
		json.Number("1e400"), "4.9e-324", float64(30), 30, int64(-2), uint8(7), float32(1.5), true, nil,
		[]any{1}, map[string]any{"a": 1}, json.Number("37"), "abc", "1e3",
	}
	var r run
	for _, v := range values {
		want, wantOK := toFloat(v)
		got, gotOK := r.number(v)
		same := got == want || (math.IsNaN(got) && math.IsNaN(want))
		if !same || gotOK != wantOK || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("number(%#v) = %v, %v; toFloat = %v, %v", v, got, gotOK, want, wantOK)
		}
	}
}

// TestNumericConditionsShareParses: flags comparing the same property (as the benchmarks' "age" conditions
// do) keep their answers when the property's parse is shared within a call.
func TestNumericConditionsShareParses(t *testing.T) {
	e := Compile(Definitions{Flags: mustFlags(t, `[
		{"id":1,"key":"gte-30","active":true,"filters":{"groups":[{"properties":[{"key":"age","operator":"gte","value":30}]}]}},
		{"id":2,"key":"lt-30","active":true,"filters":{"groups":[{"properties":[{"key":"age","operator":"lt","value":30}]}]}},
		{"id":3,"key":"between","active":true,"filters":{"groups":[{"properties":[{"key":"age","operator":"between","value":[29.5,"30.5"]}]}]}},
		{"id":4,"key":"not-between","active":true,"filters":{"groups":[{"properties":[{"key":"age","operator":"not_between","value":[31,40]}]}]}},
		{"id":5,"key":"score-gt","active":true,"filters":{"groups":[{"properties":[{"key":"score","operator":"gt","value":"2"}]}]}},
		{"id":6,"key":"name-gt","active":true,"filters":{"groups":[{"properties":[{"key":"name","operator":"gt","value":1}]}]}}]`)})
	tests := []struct {
		name  string
		props map[string]any
		want  map[string]bool
	}{
		{"json number", map[string]any{"age": json.Number("30"), "score": json.Number("30"), "name": "30"},
			map[string]bool{"gte-30": true, "lt-30": false, "between": true, "not-between": true, "score-gt": true, "name-gt": true}},
		{"string", map[string]any{"age": "29", "score": "1.5", "name": "x"},
			map[string]bool{"gte-30": false, "lt-30": true, "between": false, "not-between": true, "score-gt": false, "name-gt": false}},
		{"not a number", map[string]any{"age": "thirty", "score": "NaN", "name": nil},
			map[string]bool{"gte-30": false, "lt-30": false, "between": false, "not-between": false, "score-gt": false, "name-gt": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]bool{}
			for _, r := range e.EvaluateAll(&Context{DistinctID: "u", PersonProperties: tt.props}, nil) {
				got[r.Key] = r.Enabled
			}
			for k, w := range tt.want {
				if got[k] != w {
					t.Errorf("%s = %v, want %v", k, got[k], w)
				}
			}
		})
	}
}
