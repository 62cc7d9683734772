package httpapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// TestParseImportResolvesPostHogDependencies: a PostHog payload's flag dependencies name the depended-on
// flag by key (with a dependency_chain) or, in older payloads, by id; both become the document's ids, and
// a dependency on a flag the payload lacks is a problem at its path. Cohorts the payload references without
// defining them (static cohorts) become placeholders.
func TestParseImportResolvesPostHogDependencies(t *testing.T) {
	doc, err := parseImport([]byte(`{"flags": [
	  {"id": 11, "key": "base", "active": true, "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}},
	  {"id": 12, "key": "by-key", "active": true, "filters": {"groups": [{"properties": [
	    {"key": "base", "type": "flag", "operator": "flag_evaluates_to", "value": true, "dependency_chain": ["base"]}]}]}},
	  {"id": 13, "key": "by-id", "active": true, "filters": {"groups": [{"properties": [
	    {"key": "11", "type": "flag", "operator": "flag_evaluates_to", "value": true}]}]}},
	  {"id": 14, "key": "12", "active": true, "filters": {"groups": []}},
	  {"id": 15, "key": "numeric-key", "active": true, "filters": {"super_groups": [{"properties": [
	    {"key": "12", "type": "flag", "operator": "flag_evaluates_to", "value": false, "dependency_chain": ["12"]}]}]}},
	  {"id": 16, "key": "static", "active": true, "filters": {"groups": [{"properties": [
	    {"key": "id", "type": "cohort", "value": 70}, {"key": "id", "type": "cohort", "value": 8}]}]}}
	], "cohorts": {"8": {"type": "OR", "values": [{"key": "id", "type": "cohort", "value": 70}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string]string{}
	for _, f := range doc.Flags {
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
	var placeholders []postgres.ExportCohort
	for _, c := range doc.Cohorts {
		if c.Placeholder {
			placeholders = append(placeholders, c)
		}
	}
	want := []postgres.ExportCohort{{ID: 70, CohortSpec: postgres.CohortSpec{Name: "posthog-cohort-70", IsStatic: true},
		Placeholder: true, UsedBy: []string{"static", "posthog-cohort-8"}}}
	if diff := cmp.Diff(want, placeholders); diff != "" {
		t.Errorf("placeholders (-want +got):\n%s", diff)
	}

	_, err = parseImport([]byte(`{"flags": [{"id": 1, "key": "orphan", "filters": {"groups": [{"properties": [
	  {"key": "gone", "type": "flag", "operator": "flag_evaluates_to", "value": true, "dependency_chain": []}]}]}}]}`))
	problems, _ := apperr.As(err).Details.([]flag.Problem)
	if apperr.KindOf(err) != apperr.Invalid || len(problems) != 1 || problems[0].Path != "flags[0].filters.groups[0].properties[0].key" {
		t.Fatalf("dangling dependency: %v %+v", err, apperr.As(err).Details)
	}
}
