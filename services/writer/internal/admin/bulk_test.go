package admin

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

func TestExportFlagRoundTrip(t *testing.T) {
	rec := FlagRecord{FlagSpec: FlagSpec{Flag: flag.Flag{ID: 3, Key: "k", Name: "n", Description: "d", Active: true,
		Version: 9, EnsureExperienceContinuity: true, BucketingIdentifier: "device_id",
		Filters: flag.Filters{Groups: []flag.Condition{{RolloutPercentage: pct(10)}}}}, Tags: []string{"t"}}, CreatedBy: "x"}
	want := rec.FlagSpec
	want.Version = 0 // an export carries definitions, not their history
	if diff := cmp.Diff(want, ExportFlagOf(rec).Spec()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestExportEmptyAndGroupTypes(t *testing.T) {
	if !(&Export{GroupTypes: map[string]string{}}).Empty() || (&Export{Flags: []ExportFlag{{}}}).Empty() {
		t.Error("Empty is wrong")
	}
	got, err := (&Export{GroupTypes: map[string]string{"0": "company", "2": "team"}}).GroupTypeIndexes()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int]string{0: "company", 2: "team"}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	_, err = (&Export{GroupTypes: map[string]string{"x": "company"}}).GroupTypeIndexes()
	if diff := cmp.Diff([]string{"group_types"}, paths(problemsOf(t, err))); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateImport(t *testing.T) {
	doc := &Export{
		GroupTypes: map[string]string{"9": "x"},
		Cohorts: []ExportCohort{
			{ID: 1, CohortSpec: CohortSpec{Name: " fine ", IsStatic: true}, Members: []string{"a"}},
			{ID: 2, CohortSpec: CohortSpec{Name: "", IsStatic: true}},
			{ID: 3, CohortSpec: CohortSpec{Name: "no-tree"}},
		},
		Flags: []ExportFlag{
			{ID: 1, Key: "ok", Filters: flag.Filters{Groups: []flag.Condition{}}},
			{ID: 2, Key: "bad key", Filters: flag.Filters{Groups: []flag.Condition{{RolloutPercentage: pct(-5)}}}},
		},
	}
	want := []flag.Problem{
		{Path: "group_types", Message: "validation_failed: 9: group type indexes are 0 to 4"},
		{Path: "cohorts[1].name", Message: "name is required, at most 200 characters"},
		{Path: "cohorts[2].filters", Message: `a property cohort needs filters: {"properties": {"type": "OR", "values": [...]}}`},
		{Flag: "bad key", Path: "flags[1].key", Message: "key must be 1-200 letters, digits, '-' or '_'"},
		{Flag: "bad key", Path: "flags[1].filters.groups[0].rollout_percentage", Message: "must be between 0 and 100"},
	}
	got := problemsOf(t, ValidateImport(doc))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if err := ValidateImport(&Export{Format: ExportFormat}); err != nil {
		t.Errorf("an empty document: %v", err)
	}
}

func TestValidateCopy(t *testing.T) {
	tests := []struct {
		target int64
		keys   []string
		paths  []string
	}{
		{2, []string{"a"}, nil},
		{0, []string{"a"}, []string{"target_environment_id"}},
		{1, []string{"a"}, []string{"target_environment_id"}},
		{2, nil, []string{"keys"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.paths, paths(problemsOf(t, ValidateCopy(1, tt.target, tt.keys)))); diff != "" {
			t.Errorf("copy to %d of %q mismatch (-want +got):\n%s", tt.target, tt.keys, diff)
		}
	}
}

func TestSelectFlags(t *testing.T) {
	src := &Export{Flags: []ExportFlag{{ID: 1, Key: "a"}, {ID: 2, Key: "b"}}}
	specs, err := SelectFlags(src, 7, []string{"b", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b", "a"}, []string{specs[0].Key, specs[1].Key}); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	_, err = SelectFlags(src, 7, []string{"a", "nope", "gone"})
	want := []flag.Problem{{Path: "keys[1]", Message: `flag "nope" does not exist in environment 7`},
		{Path: "keys[2]", Message: `flag "gone" does not exist in environment 7`}}
	if diff := cmp.Diff(want, problemsOf(t, err)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestPlaceholderWarning(t *testing.T) {
	c := ExportCohort{ID: 70, CohortSpec: CohortSpec{Name: "posthog-cohort-70"}, UsedBy: []string{"f"}}
	tests := []struct {
		created bool
		want    ImportWarning
	}{
		{true, ImportWarning{Code: "static_cohort_placeholder", CohortID: 5, Name: "posthog-cohort-70", Flags: []string{"f"},
			Message: "the payload references cohort 70 without defining it (PostHog leaves static cohorts out): " +
				`created the empty static cohort "posthog-cohort-70" (id 5); upload its members with PUT …/cohorts/5/members`}},
		{false, ImportWarning{Code: "static_cohort_placeholder", CohortID: 5, Name: "posthog-cohort-70", Flags: []string{"f"},
			Message: "the payload references cohort 70 without defining it (PostHog leaves static cohorts out): " +
				`it maps to the existing cohort "posthog-cohort-70" (id 5), left as it is`}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, PlaceholderWarning(c, 5, tt.created)); diff != "" {
			t.Errorf("created %v mismatch (-want +got):\n%s", tt.created, diff)
		}
	}
}

func TestExportJSON(t *testing.T) {
	// The export's shape is what admins store and import again: placeholders never appear in it.
	doc := Export{Format: ExportFormat, GroupTypes: map[string]string{}, Flags: []ExportFlag{},
		Cohorts: []ExportCohort{{ID: 1, CohortSpec: CohortSpec{Name: "c", IsStatic: true}, Placeholder: true, UsedBy: []string{"f"}}}}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":"halyard-export/v1","group_types":{},"cohorts":[{"id":1,"name":"c","description":"","is_static":true}],"flags":[]}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
