package flag

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmihailenco/msgpack/v5"
)

// TestPropertyNumbersJSON: a filter value's numbers come back out exactly as they went in, alone, in lists and
// in objects; only a number float64 cannot hold is refused.
func TestPropertyNumbersJSON(t *testing.T) {
	tests := []struct {
		value string
		want  any
	}{
		{`5.0`, json.Number("5.0")},
		{`5`, json.Number("5")},
		{`1e3`, json.Number("1e3")},
		{`12345678901234567890`, json.Number("12345678901234567890")},
		{`-0`, json.Number("-0")},
		{`1.50`, json.Number("1.50")},
		{`123456789012345678901234567890.000`, json.Number("123456789012345678901234567890.000")},
		{`[1.50,2,"x",true,null]`, []any{json.Number("1.50"), json.Number("2"), "x", true, nil}},
		{`{"a":0.10}`, map[string]any{"a": json.Number("0.10")}},
		{`"5.0"`, "5.0"},
		{`null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			in := `{"key":"k","type":"person","operator":"exact","value":` + tt.value + `}`
			var p Property
			if err := json.Unmarshal([]byte(in), &p); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Value); diff != "" {
				t.Errorf("decoded value mismatch (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(in, string(out)); diff != "" {
				t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPropertyNumberOutOfRange(t *testing.T) {
	for _, value := range []string{`1e400`, `[1, -1e309]`, `{"a": 2e308}`} {
		var p Property
		err := json.Unmarshal([]byte(`{"key":"k","value":`+value+`}`), &p)
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) || typeErr.Field != "value" {
			t.Errorf("value %s: error %v, want a type error on field value", value, err)
		}
	}
}

// TestLocalEvaluationKeepsNumbers: the definitions SDKs download carry the numbers of flag and cohort
// filters as they were written.
func TestLocalEvaluationKeepsNumbers(t *testing.T) {
	in := `{"flags":[{"id":1,"key":"f","name":"","active":true,"deleted":false,"version":0,"filters":{"groups":[` +
		`{"properties":[{"key":"n","type":"person","operator":"exact","value":[5.0,12345678901234567890,-0]}],"rollout_percentage":50}]},` +
		`"ensure_experience_continuity":false}],"group_type_mapping":{},` +
		`"cohorts":{"3":{"type":"OR","values":[{"type":"AND","values":[{"key":"n","type":"person","operator":"gt","value":1.50}]}]}}}`
	le, err := ParseLocalEvaluation([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := MarshalLocalEvaluation(le)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`[5.0,12345678901234567890,-0]`, `"value":1.50`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s not in %s", want, out)
		}
	}
}

func TestCohortIDNumbers(t *testing.T) {
	tests := []struct {
		value  any
		want   int64
		wantOK bool
	}{
		{json.Number("5"), 5, true},
		{json.Number("5.0"), 5, true},
		{json.Number("5e0"), 5, true},
		{json.Number("-0"), 0, true},
		{json.Number("9007199254740993"), 9007199254740993, true},
		{json.Number("5.5"), 0, false},
		{json.Number("12345678901234567890"), 0, false},
		{"7", 7, true},
		{float64(8), 8, true},
	}
	for _, tt := range tests {
		id, ok := CohortID(tt.value)
		if ok != tt.wantOK || (ok && id != tt.want) {
			t.Errorf("CohortID(%#v) = %d, %v; want %d, %v", tt.value, id, ok, tt.want, tt.wantOK)
		}
	}
}

// FuzzPropertyJSON: whatever decodes as a filter survives JSON and msgpack round trips unchanged.
func FuzzPropertyJSON(f *testing.F) {
	for _, v := range []string{`5.0`, `5`, `1e3`, `12345678901234567890`, `-0`, `[1.50,"x",{"a":2E-3}]`, `"s"`, `1e400`} {
		f.Add(`{"key":"k","operator":"exact","value":` + v + `}`)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var p Property
		if json.Unmarshal([]byte(in), &p) != nil {
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("decoded filter does not encode: %v", err)
		}
		var back Property
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Fatalf("JSON round trip mismatch (-want +got):\n%s", diff)
		}
		m, err := msgpack.Marshal(p)
		if err != nil {
			t.Fatalf("decoded filter does not encode to msgpack: %v", err)
		}
		var wire Property
		if err := msgpack.Unmarshal(m, &wire); err != nil {
			t.Fatalf("msgpack decode: %v", err)
		}
		if diff := cmp.Diff(p, wire); diff != "" {
			t.Fatalf("msgpack round trip mismatch (-want +got):\n%s", diff)
		}
	})
}
