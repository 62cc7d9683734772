package admin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

func TestValidateCohort(t *testing.T) {
	tree := `{"properties": {"type": "OR", "values": [{"type": "AND", "values": [
		{"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"}]}]}}`
	badTree := `{"properties": {"type": "XOR", "values": [{"type": "AND", "values": [
		{"key": "age", "type": "person", "operator": "gt", "value": [1]}]}]}}`
	tests := []struct {
		name    string
		spec    CohortSpec
		members []string
		paths   []string
	}{
		{"static", CohortSpec{Name: "beta", IsStatic: true}, []string{"u1", "u2"}, nil},
		{"static with null filters", CohortSpec{Name: "beta", IsStatic: true, Filters: json.RawMessage("null")}, nil, nil},
		{"property", CohortSpec{Name: "staff", Filters: json.RawMessage(tree)}, nil, nil},
		{"no name", CohortSpec{IsStatic: true}, nil, []string{"name"}},
		{"long name", CohortSpec{Name: strings.Repeat("n", 201), IsStatic: true}, nil, []string{"name"}},
		{"static with filters", CohortSpec{Name: "x", IsStatic: true, Filters: json.RawMessage(tree)}, nil, []string{"filters"}},
		{"static with an empty member", CohortSpec{Name: "x", IsStatic: true}, []string{"a", ""}, []string{"members[1]"}},
		{"property with members", CohortSpec{Name: "x", Filters: json.RawMessage(tree)}, []string{"a"}, []string{"members"}},
		{"property without filters", CohortSpec{Name: "x"}, nil, []string{"filters"}},
		{"property with a broken tree", CohortSpec{Name: "x", Filters: json.RawMessage(`{"properties": 1}`)}, nil, []string{"filters"}},
		{"property with a bad tree", CohortSpec{Name: "x", Filters: json.RawMessage(badTree)}, nil,
			[]string{"filters.properties.type", "filters.properties.values[0].values[0].value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.paths, paths(problemsOf(t, ValidateCohort(tt.spec, tt.members)))); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateMembers(t *testing.T) {
	tests := []struct {
		name    string
		members []string
		paths   []string
	}{
		{"none", nil, nil},
		{"some", []string{"a", strings.Repeat("m", 400)}, nil},
		{"too long", []string{"a", strings.Repeat("m", 401), ""}, []string{"members[1]"}}, // the first bad one
		{"too many", make([]string, MaxCohortMembers+1), []string{"members"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.paths, paths(problemsOf(t, ValidateMembers(tt.members)))); diff != "" {
			t.Errorf("%s: problems mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestCheckCohortEdit(t *testing.T) {
	cur := CohortRecord{CohortSpec: CohortSpec{Name: "a", IsStatic: true}}
	if err := CheckCohortEdit(cur, CohortSpec{Name: "b", IsStatic: true}); err != nil {
		t.Errorf("a rename was refused: %v", err)
	}
	if diff := cmp.Diff([]string{"is_static"}, paths(problemsOf(t, CheckCohortEdit(cur, CohortSpec{Name: "a"})))); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestCohortUses(t *testing.T) {
	inCohort := func(key string, v any) flag.Flag {
		return flag.Flag{Key: key, Filters: flag.Filters{SuperGroups: []flag.Condition{{Properties: []flag.Property{
			{Key: "id", Type: "cohort", Value: v}}}}}}
	}
	nested := func(id int64, ref string) flag.Cohort {
		return flag.Cohort{ID: id, Filters: json.RawMessage(`{"properties": {"type": "OR", "values": [
			{"type": "AND", "values": [{"key": "id", "type": "cohort", "value": ` + ref + `}]}]}}`)}
	}
	flags := []flag.Flag{inCohort("uses-7", float64(7)), inCohort("uses-7-as-text", "7"), inCohort("uses-8", float64(8)),
		{Key: "plain"}}
	cohorts := []flag.Cohort{nested(7, "7"), nested(9, "7"), nested(10, "8"), {ID: 11, IsStatic: true},
		{ID: 12, Filters: json.RawMessage(`{"properties": 1}`)}}
	tests := []struct {
		id   int64
		want CohortInUse
	}{
		{7, CohortInUse{Flags: []string{"uses-7", "uses-7-as-text"}, Cohorts: []int64{9}}},
		{8, CohortInUse{Flags: []string{"uses-8"}, Cohorts: []int64{10}}},
		{11, CohortInUse{Flags: []string{}, Cohorts: []int64{}}},
	}
	for _, tt := range tests {
		got := CohortUses(flags, cohorts, tt.id)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("cohort %d mismatch (-want +got):\n%s", tt.id, diff)
		}
		err := got.Err(tt.id)
		inUse := len(tt.want.Flags)+len(tt.want.Cohorts) > 0
		if ae := apperr.As(err); inUse != (err != nil) || (inUse && (ae.Code != "cohort_in_use" || ae.Kind != apperr.Conflict)) {
			t.Errorf("cohort %d: Err = %v, in use %v", tt.id, err, inUse)
		}
	}
}
