package wire

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	hflag "github.com/halyard-flags/halyard/shared/flag"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func ptr[T any](v T) *T { return &v }

// fixture exercises every field kind the codec carries: numbers, lists, payloads, holdouts, cohorts, keys.
func fixture() *Snapshot {
	return &Snapshot{
		Format: FormatVersion, ProjectID: 7, EnvironmentID: 42, Version: 19, PublishedAt: 1764000000000,
		Keys:       []Key{{Kind: KindSDK, Value: "phc_demo"}, {Kind: KindServer, Value: "ab12", ExpiresAt: 1764000600000}},
		GroupTypes: map[int]string{0: "company", 1: "project"},
		Flags: []hflag.Flag{{
			ID: 1, Key: "checkout", Name: "Checkout", Active: true, Version: 3,
			Filters: hflag.Filters{
				Groups: []hflag.Condition{{
					Properties: []hflag.Property{
						{Key: "email", Type: "person", Operator: "icontains", Value: "@example.com"},
						{Key: "plan", Type: "person", Operator: "exact", Value: []any{"pro", "team"}},
					},
					RolloutPercentage: ptr(45.5), Variant: ptr("compact"),
				}},
				Multivariate: &hflag.Multivariate{Variants: []hflag.Variant{
					{Key: "control", RolloutPercentage: 50}, {Key: "compact", RolloutPercentage: 50},
				}},
				Payloads: map[string]json.RawMessage{"compact": json.RawMessage(`"{\"rows\": 3}"`)},
				Holdout:  &hflag.Holdout{ID: 7, ExclusionPercentage: 10},
			},
		}},
		Cohorts: []hflag.Cohort{{ID: 5, Name: "beta testers", IsStatic: true, Members: []string{"u1", "u2"}}},
	}
}

func TestGolden(t *testing.T) {
	got, err := Encode(fixture())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "snapshot.golden.msgpack")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("encoding changed: %d bytes, golden %d bytes; if intended, bump FormatVersion when old decoders would misread it, then go test -update", len(got), len(want))
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
		t.Error("decode → encode of the golden file does not give the golden bytes back")
	}
	if diff := cmp.Diff(fixture().Flags[0].Key, back.Flags[0].Key); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if back.Keys[1].ExpiresAt != 1764000600000 || back.GroupTypes[1] != "project" || back.Cohorts[0].Members[1] != "u2" {
		t.Errorf("decoded snapshot lost fields: %+v", back)
	}
}

func TestDecodeRefusesOtherFormats(t *testing.T) {
	s := fixture()
	s.Format = FormatVersion + 1
	b, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(b); err == nil {
		t.Fatal("Decode accepted a snapshot of a newer format")
	}
	if _, err := Decode([]byte{0xc1}); err == nil {
		t.Fatal("Decode accepted garbage")
	}
}

func FuzzDecode(f *testing.F) {
	golden, _ := Encode(fixture())
	f.Add(golden)
	if numbers, err := os.ReadFile(filepath.Join("testdata", "snapshot-exact-numbers.golden.msgpack")); err == nil {
		f.Add(numbers)
	}
	f.Add([]byte{})
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			return
		}
		if _, err := Encode(s); err != nil {
			t.Fatalf("decoded snapshot does not encode: %v", err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data, _ := Encode(fixture())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEvaluationScopeIsAdditive: a flag's evaluation runtime and contexts travel in the snapshot, and a flag
// without them encodes exactly as before they existed (the golden file), so no format bump is needed.
func TestEvaluationScopeIsAdditive(t *testing.T) {
	s := fixture()
	s.Flags[0].EvaluationRuntime = hflag.RuntimeClient
	s.Flags[0].EvaluationContexts = []string{"web", "docs"}
	b, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := [2]any{hflag.RuntimeClient, []string{"web", "docs"}}
	if d := cmp.Diff(want, [2]any{got.Flags[0].EvaluationRuntime, got.Flags[0].EvaluationContexts}); d != "" {
		t.Errorf("mismatch (-want +got):\n%s", d)
	}
}
