package eval

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/shared/flag"
)

// Fuzz targets run their seed corpus in `go test`; fuzz with
//   go test ./eval -run XXX -fuzz FuzzEvaluate -fuzztime 60s

var fuzzSeeds = []string{
	richFlag,
	oracleFlags,
	`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"id","type":"cohort","value":1}]}],"holdout":{"id":1,"exclusion_percentage":50}}}`,
	`{"id":1,"key":"f","active":true,"filters":{"aggregation_group_type_index":0,"groups":[{"properties":[{"key":"1","type":"flag","operator":"flag_evaluates_to","value":true}],"aggregation_group_type_index":null}]}}`,
	`{"id":1,"key":"f","active":true,"filters":{"groups":[{"properties":[{"key":"v","operator":"semver_wildcard","value":"1.*"},{"key":"d","operator":"is_date_after","value":"-3m"},{"key":"n","operator":"between","value":[1,"2"]}]}]}}`,
}

// FuzzEvaluate: arbitrary definitions and contexts never panic, and every result is well formed.
func FuzzEvaluate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "user-1", `{"email":"a@b.c","v":"1.2.3","d":1700000000,"n":1.5}`)
	}
	f.Fuzz(func(t *testing.T, def, id, props string) {
		var fl flag.Flag
		if json.Unmarshal([]byte(def), &fl) != nil {
			return
		}
		var pp map[string]any
		_ = json.Unmarshal([]byte(props), &pp)
		cohorts := []flag.Cohort{{ID: 1, Filters: []byte(props)}, {ID: 2, IsStatic: true, Members: []string{id}}}
		e := Compile(Definitions{Flags: []flag.Flag{fl, fl}, Cohorts: cohorts, GroupTypes: map[int]string{0: "company"}})
		c := &Context{DistinctID: id, DeviceID: id, PersonProperties: pp, Groups: map[string]string{"company": id},
			GroupProperties: map[string]map[string]any{"company": pp}, Now: time.Unix(1700000000, 0)}
		for _, r := range e.EvaluateAll(c, nil) {
			if r.Reason.Code == "" || (r.Variant != "" && !r.Enabled) {
				t.Fatalf("malformed result %+v", r)
			}
		}
	})
}

// FuzzParseValidateCompile: whatever parses and passes ValidateSet compiles without problems and never
// fails at evaluation — validation accepts nothing the engine cannot evaluate.
func FuzzParseValidateCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, def string) {
		fl, err := flag.ParseFlag([]byte(def))
		if err != nil {
			return
		}
		flags := []flag.Flag{fl}
		cohorts := []flag.Cohort{{ID: 1, IsStatic: true}}
		if len(flag.ValidateSet(flags, cohorts)) > 0 {
			return
		}
		e := Compile(Definitions{Flags: flags, Cohorts: cohorts, GroupTypes: map[int]string{0: "company"}})
		if len(e.Problems()) > 0 {
			t.Fatalf("validated but did not compile: %v", e.Problems())
		}
		for _, r := range e.EvaluateAll(&Context{DistinctID: "x"}, nil) {
			if r.Failed {
				t.Fatalf("validated but failed at evaluation: %+v", r)
			}
		}
	})
}
