package admin

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

func parsePostHog(tb testing.TB, payload string) (*Export, error) {
	tb.Helper()
	le, err := flag.ParseLocalEvaluation([]byte(payload))
	if err != nil {
		tb.Fatal(err)
	}
	return FromPostHog(le)
}

// TestFromPostHogResolvesDependencies: a PostHog payload's flag dependencies name the depended-on flag by
// key (with a dependency_chain) or, in older payloads, by id; both become the document's ids, and a
// dependency on a flag the payload lacks is a problem at its path. Cohorts the payload references without
// defining them (static cohorts) become placeholders; deleted flags are left out.
func TestFromPostHogResolvesDependencies(t *testing.T) {
	doc, err := parsePostHog(t, `{"group_type_mapping": {"0": "company"}, "flags": [
	  {"id": 11, "key": "base", "active": true, "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}},
	  {"id": 12, "key": "by-key", "active": true, "filters": {"groups": [{"properties": [
	    {"key": "base", "type": "flag", "operator": "flag_evaluates_to", "value": true, "dependency_chain": ["base"]}]}]}},
	  {"id": 13, "key": "by-id", "active": true, "filters": {"groups": [{"properties": [
	    {"key": "11", "type": "flag", "operator": "flag_evaluates_to", "value": true}]}]}},
	  {"id": 14, "key": "12", "active": true, "filters": {"groups": []}},
	  {"id": 15, "key": "numeric-key", "active": true, "filters": {"super_groups": [{"properties": [
	    {"key": "12", "type": "flag", "operator": "flag_evaluates_to", "value": false, "dependency_chain": ["12"]}]}]}},
	  {"id": 16, "key": "static", "active": true, "filters": {"groups": [{"properties": [
	    {"key": "id", "type": "cohort", "value": 70}, {"key": "id", "type": "cohort", "value": 8}]}]}},
	  {"id": 17, "key": "gone", "deleted": true, "filters": {"groups": []}}
	], "cohorts": {"8": {"type": "OR", "values": [{"key": "id", "type": "cohort", "value": 70}]}}}`)
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string]string{}
	var keys []string
	for _, f := range doc.Flags {
		keys = append(keys, f.Key)
		for _, c := range append(f.Filters.Groups, f.Filters.SuperGroups...) {
			for _, p := range c.Properties {
				if p.Type == "flag" {
					deps[f.Key] = p.Key
				}
			}
		}
	}
	// A key that is also another flag's id is read as a key: that is what PostHog sends.
	if diff := cmp.Diff(map[string]string{"by-key": "11", "by-id": "11", "numeric-key": "14"}, deps); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"base", "by-key", "by-id", "12", "numeric-key", "static"}, keys); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"0": "company"}, doc.GroupTypes); diff != "" {
		t.Errorf("group types (-want +got):\n%s", diff)
	}
	want := []ExportCohort{
		{ID: 8, CohortSpec: CohortSpec{Name: "posthog-cohort-8", Filters: doc.Cohorts[0].Filters}},
		{ID: 70, CohortSpec: CohortSpec{Name: "posthog-cohort-70", IsStatic: true}, Placeholder: true, UsedBy: []string{"static", "posthog-cohort-8"}},
	}
	if diff := cmp.Diff(want, doc.Cohorts); diff != "" {
		t.Errorf("cohorts (-want +got):\n%s", diff)
	}
}

func TestFromPostHogRefusesDanglingDependencies(t *testing.T) {
	_, err := parsePostHog(t, `{"flags": [{"id": 1, "key": "orphan", "filters": {"groups": [{"properties": [
	  {"key": "gone", "type": "flag", "operator": "flag_evaluates_to", "value": true, "dependency_chain": []}]}]}}]}`)
	want := []flag.Problem{{Flag: "orphan", Path: "flags[0].filters.groups[0].properties[0].key",
		Message: `depends on flag "gone", which is not in the payload (by key or by id)`}}
	if diff := cmp.Diff(want, problemsOf(t, err)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
