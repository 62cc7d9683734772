package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

// TestDependencyChains pins PostHog's local_evaluation rewrite of flag-dependency filters.
func TestDependencyChains(t *testing.T) {
	var flags []flag.Flag
	dep := func(ref string) string {
		return `{"groups":[{"properties":[{"key":"` + ref + `","type":"flag","operator":"flag_evaluates_to","value":true}],"rollout_percentage":100}]}`
	}
	src := `[
	 {"id":1,"key":"a","active":true,"filters":{"groups":[{"properties":[],"rollout_percentage":100}]}},
	 {"id":2,"key":"b","active":true,"filters":` + dep("1") + `},
	 {"id":3,"key":"c","active":true,"filters":` + dep("2") + `},
	 {"id":4,"key":"x","active":true,"filters":` + dep("5") + `},
	 {"id":5,"key":"y","active":true,"filters":` + dep("4") + `},
	 {"id":6,"key":"self","active":true,"filters":` + dep("self") + `},
	 {"id":7,"key":"missing","active":true,"filters":` + dep("999") + `},
	 {"id":8,"key":"on-self","active":true,"filters":` + dep("6") + `}]`
	if err := json.Unmarshal([]byte(src), &flags); err != nil {
		t.Fatal(err)
	}
	body, err := flag.MarshalLocalEvaluation(&flag.LocalEvaluation{Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	out, err := asPostHogServes(body, flags)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Flags []struct {
			Key     string
			Filters struct {
				Groups []struct {
					Properties []struct {
						Key             string   `json:"key"`
						DependencyChain []string `json:"dependency_chain"`
					}
				}
			}
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][2]any{}
	for _, f := range doc.Flags {
		for _, g := range f.Filters.Groups {
			for _, p := range g.Properties {
				got[f.Key] = [2]any{p.Key, p.DependencyChain}
			}
		}
	}
	want := map[string][2]any{
		"b": {"a", []string{"a"}}, "c": {"b", []string{"a", "b"}},
		"x": {"y", []string{}}, "y": {"x", []string{}}, "self": {"self", []string{}},
		"missing": {"999", []string{}}, "on-self": {"self", []string{}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("dependency filters mismatch (-want +got):\n%s", d)
	}
}
