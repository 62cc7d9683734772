package wire

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	hflag "github.com/halyard-flags/halyard/shared/flag"
	"github.com/vmihailenco/msgpack/v5"
)

// numberTexts are filter values written with numbers whose text float64 does not keep.
var numberTexts = []string{`5.0`, `5`, `1e3`, `12345678901234567890`, `-0`, `1.50`, `[1.50, 2, "x"]`, `0.1`}

// numbersFixture is a snapshot with one exact filter per value of numberTexts, each decoded by value.
func numbersFixture(tb testing.TB, value func(tb testing.TB, text string) any) *Snapshot {
	tb.Helper()
	var props []hflag.Property
	for _, text := range numberTexts {
		props = append(props, hflag.Property{Key: "n", Type: "person", Operator: "exact", Value: value(tb, text)})
	}
	s := fixture()
	s.Flags[0].Filters.Groups[0].Properties = props
	s.Cohorts = nil
	return s
}

// floatValue decodes text as encoding/json decodes a number into an any: what writers before exact numbers
// put in Property.Value.
func floatValue(tb testing.TB, text string) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// exactValue decodes text as a filter value is decoded now.
func exactValue(tb testing.TB, text string) any {
	tb.Helper()
	var p hflag.Property
	if err := json.Unmarshal([]byte(`{"value":`+text+`}`), &p); err != nil {
		tb.Fatal(err)
	}
	return p.Value
}

func values(s *Snapshot) []any {
	var out []any
	for _, p := range s.Flags[0].Filters.Groups[0].Properties {
		out = append(out, p.Value)
	}
	return out
}

// checkGolden compares the encoding of s with the golden file name (rewriting it with -update), and
// returns the snapshot decoded from the golden bytes after checking they re-encode to themselves.
func checkGolden(t *testing.T, name string, s *Snapshot) *Snapshot {
	t.Helper()
	got, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: encoding changed: %d bytes, golden %d bytes", name, len(got), len(want))
	}
	back, err := Decode(want)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Encode(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, want) {
		t.Errorf("%s: decode → encode does not give the golden bytes back", name)
	}
	return back
}

// TestGoldenFloatNumbers: the golden was written before filter values kept their numbers' text (numbers as
// float64, no value_json). It still decodes to the float64 values it always held, and float64 values still
// encode to the same bytes.
func TestGoldenFloatNumbers(t *testing.T) {
	s := numbersFixture(t, floatValue)
	back := checkGolden(t, "snapshot-float-numbers.golden.msgpack", s)
	if diff := cmp.Diff(values(s), values(back)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestGoldenExactNumbers: numbers travel as their JSON text.
func TestGoldenExactNumbers(t *testing.T) {
	s := numbersFixture(t, exactValue)
	back := checkGolden(t, "snapshot-exact-numbers.golden.msgpack", s)
	if diff := cmp.Diff(values(s), values(back)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	for i, p := range back.Flags[0].Filters.Groups[0].Properties {
		text, err := json.Marshal(p.Value)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(compact(t, numberTexts[i]), string(text)); diff != "" {
			t.Errorf("value %d mismatch (-want +got):\n%s", i, diff)
		}
	}
}

func compact(tb testing.TB, text string) string {
	tb.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// TestOlderDecodersReadExactNumbers: a decoder that does not know value_json (evaluators built before it, which
// decode value into an any and skip unknown keys) reads the float64 values it read before, so FormatVersion
// stays 1 and writers and evaluators can be upgraded in either order.
func TestOlderDecodersReadExactNumbers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "snapshot-exact-numbers.golden.msgpack"))
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		Flags []struct {
			Filters struct {
				Groups []struct {
					Properties []struct {
						Value any `msgpack:"value"`
					} `msgpack:"properties"`
				} `msgpack:"groups"`
			} `msgpack:"filters"`
		} `msgpack:"flags"`
	}
	if err := msgpack.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, p := range old.Flags[0].Filters.Groups[0].Properties {
		got = append(got, p.Value)
	}
	if diff := cmp.Diff(values(numbersFixture(t, floatValue)), got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
