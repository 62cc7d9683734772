package eval

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
)

// definitionNumberCases pin filter values written as numbers. PostHog holds them as serde_json::Value: string
// operators compare to_string_representation (an integer literal that fits u64/i64 as written, any other
// number as ryu prints its f64: 5.0 → "5.0", 1e3 → "1000.0", -0 → "-0.0", parse_number's rule for -0),
// numeric operators its as_f64. Request properties arrive as json.Number, as the evaluator decodes them.
var definitionNumberCases = []struct {
	name  string
	op    string
	value string // the filter value, as JSON
	prop  any
	want  bool
}{
	{"5.0 exact 5.0", "exact", `5.0`, json.Number("5.0"), true},
	{"5.0 exact string 5.0", "exact", `5.0`, "5.0", true},
	{"5.0 exact 5", "exact", `5.0`, json.Number("5"), false},
	{"5.0 is_not 5", "is_not", `5.0`, json.Number("5"), true},
	{"5.0 icontains", "icontains", `5.0`, "v5.0.1", true},
	{"5.0 icontains 5", "icontains", `5.0`, json.Number("5"), false},
	{"5.0 regex", "regex", `5.0`, "5x0", true},
	{"5.0 gt", "gt", `5.0`, json.Number("5.5"), true},
	{"5.0 gt equal", "gt", `5.0`, json.Number("5"), false},
	{"5.0 lt", "lt", `5.0`, "4.99", true},
	{"5 exact 5", "exact", `5`, json.Number("5"), true},
	{"5 exact string 5", "exact", `5`, "5", true},
	{"5 exact 5.0", "exact", `5`, json.Number("5.0"), false},
	{"5 is_not 5.0", "is_not", `5`, json.Number("5.0"), true},
	{"5 icontains", "icontains", `5`, "15", true},
	{"5 regex", "regex", `5`, json.Number("25"), true},
	{"5 gt", "gt", `5`, "5.01", true},
	{"5 lt", "lt", `5`, json.Number("5.0"), false},
	{"1e3 exact 1000.0", "exact", `1e3`, "1000.0", true},
	{"1e3 exact 1e3", "exact", `1e3`, json.Number("1e3"), true},
	{"1e3 exact 1000", "exact", `1e3`, json.Number("1000"), false},
	{"1e3 exact string 1e3", "exact", `1e3`, "1e3", false},
	{"1e3 is_not 1000", "is_not", `1e3`, json.Number("1000"), true},
	{"1e3 icontains", "icontains", `1e3`, "x1000.0x", true},
	{"1e3 regex", "regex", `1e3`, "1000.0", true},
	{"1e3 gt", "gt", `1e3`, json.Number("1000.5"), true},
	{"1e3 lt", "lt", `1e3`, "999", true},
	{"big exact", "exact", `12345678901234567890`, "12345678901234567890", true},
	{"big exact neighbour", "exact", `12345678901234567890`, json.Number("12345678901234567891"), false},
	{"big is_not neighbour", "is_not", `12345678901234567890`, json.Number("12345678901234567891"), true},
	{"big icontains", "icontains", `12345678901234567890`, "id-12345678901234567890", true},
	{"big regex", "regex", `12345678901234567890`, json.Number("12345678901234567890"), true},
	{"big gt neighbour is f64-equal", "gt", `12345678901234567890`, json.Number("12345678901234567891"), false},
	{"big lt", "lt", `12345678901234567890`, "1e20", false},
	{"big gt", "gt", `12345678901234567890`, "1e20", true},
	{"-0 exact -0.0", "exact", `-0`, "-0.0", true},
	{"-0 exact -0", "exact", `-0`, json.Number("-0"), true},
	{"-0 exact 0", "exact", `-0`, json.Number("0"), false},
	{"-0 is_not 0", "is_not", `-0`, "0", true},
	{"-0 icontains", "icontains", `-0`, "-0.0", true},
	{"-0 regex", "regex", `-0`, "x-0.0", true},
	{"-0 gt 0", "gt", `-0`, json.Number("0"), false},
	{"-0 lt", "lt", `-0`, json.Number("-0.1"), true},
	{"list exact", "exact", `[1.50, 7]`, "1.5", true},
	{"list exact text", "exact", `[1.50, 7]`, "1.50", false},
}

func TestDefinitionNumbers(t *testing.T) {
	for _, tt := range definitionNumberCases {
		t.Run(tt.name, func(t *testing.T) {
			e := compileOne(t, propFlag(tt.op, tt.value))
			r := evalOne(t, e, "f", &Context{DistinctID: "d", PersonProperties: map[string]any{"k": tt.prop}})
			if r.Enabled != tt.want {
				t.Errorf("enabled = %v, want %v", r.Enabled, tt.want)
			}
		})
	}
}

// TestDefinitionNumbersThroughSnapshot: the same answers after the definitions travelled through a snapshot,
// as evaluators receive them.
func TestDefinitionNumbersThroughSnapshot(t *testing.T) {
	s := &wire.Snapshot{Format: wire.FormatVersion}
	for i, tt := range definitionNumberCases {
		f := mustFlag(t, propFlag(tt.op, tt.value))
		f.ID, f.Key = int64(i+1), tt.name
		s.Flags = append(s.Flags, f)
	}
	b, err := wire.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := wire.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Flags, back.Flags); diff != "" {
		t.Fatalf("snapshot round trip mismatch (-want +got):\n%s", diff)
	}
	e := Compile(Definitions{Flags: back.Flags})
	for _, tt := range definitionNumberCases {
		r := evalOne(t, e, tt.name, &Context{DistinctID: "d", PersonProperties: map[string]any{"k": tt.prop}})
		if r.Enabled != tt.want {
			t.Errorf("%s: enabled = %v, want %v", tt.name, r.Enabled, tt.want)
		}
	}
}

// TestCohortFilterNumbers: numbers in a property cohort's filters keep their text too.
func TestCohortFilterNumbers(t *testing.T) {
	e := Compile(Definitions{
		Flags: mustFlags(t, `[{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":4}]}]}}]`),
		Cohorts: []flag.Cohort{{ID: 4, Filters: json.RawMessage(
			`{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"n","type":"person","operator":"exact","value":5.0}]}]}}`)}},
	})
	for prop, want := range map[any]bool{json.Number("5.0"): true, "5.0": true, json.Number("5"): false} {
		r := evalOne(t, e, "f", &Context{DistinctID: "d", PersonProperties: map[string]any{"n": prop}})
		if r.Enabled != want {
			t.Errorf("n = %#v: enabled = %v, want %v", prop, r.Enabled, want)
		}
	}
}
