package admin

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

func pct(p float64) *float64 { return &p }

func TestValidateFlag(t *testing.T) {
	valid := func(edit func(f *FlagSpec)) *FlagSpec {
		f := &FlagSpec{Flag: flag.Flag{Key: "new-checkout", Active: true,
			Filters: flag.Filters{Groups: []flag.Condition{{RolloutPercentage: pct(50)}}}}, Tags: []string{"team-a"}}
		if edit != nil {
			edit(f)
		}
		return f
	}
	tests := []struct {
		name  string
		f     *FlagSpec
		paths []string
	}{
		{"valid", valid(nil), nil},
		{"description at the limit", valid(func(f *FlagSpec) { f.Description = strings.Repeat("x", MaxDescriptionBytes) }), nil},
		{"description over the limit", valid(func(f *FlagSpec) { f.Description = strings.Repeat("x", MaxDescriptionBytes+1) }), []string{"description"}},
		{"key with a space", valid(func(f *FlagSpec) { f.Key = "has space" }), []string{"key"}}, // reported once
		{"empty key", valid(func(f *FlagSpec) { f.Key = "" }), []string{"key"}},
		{"long key", valid(func(f *FlagSpec) { f.Key = strings.Repeat("k", 201) }), []string{"key"}},
		{"long name", valid(func(f *FlagSpec) { f.Name = strings.Repeat("n", 401) }), []string{"name"}},
		{"too many tags", valid(func(f *FlagSpec) { f.Tags = make([]string, 51); f.Tags[0] = "x" }),
			append([]string{"tags"}, tagPaths(1, 51)...)},
		{"bad tags", valid(func(f *FlagSpec) { f.Tags = []string{"", "ok", strings.Repeat("t", 101)} }), []string{"tags[0]", "tags[2]"}},
		{"bad rollout", valid(func(f *FlagSpec) { f.Filters.Groups[0].RolloutPercentage = pct(101) }), []string{"filters.groups[0].rollout_percentage"}},
		{"everything", valid(func(f *FlagSpec) {
			f.Key, f.Tags = "a b", []string{""}
			f.Filters.Groups[0].RolloutPercentage = pct(-1)
		}), []string{"key", "tags[0]", "filters.groups[0].rollout_percentage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.paths, paths(problemsOf(t, ValidateFlag(tt.f)))); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func tagPaths(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, "tags["+strconv.Itoa(i)+"]")
	}
	return out
}

func TestOwnProblems(t *testing.T) {
	f := &flag.Flag{Key: "k", Filters: flag.Filters{Groups: []flag.Condition{{RolloutPercentage: pct(200)}}}}
	got := OwnProblems(f)
	if len(got) != 1 || got[0].Flag != "k" || got[0].Path != "filters.groups[0].rollout_percentage" {
		t.Errorf("OwnProblems = %+v, want one problem of flag k at the rollout", got)
	}
	if got := OwnProblems(&flag.Flag{Key: "ok"}); len(got) != 0 {
		t.Errorf("a valid flag has problems %+v", got)
	}
}

func TestHasReferences(t *testing.T) {
	cond := func(p flag.Property) []flag.Condition { return []flag.Condition{{Properties: []flag.Property{p}}} }
	tests := []struct {
		name string
		f    flag.Filters
		want bool
	}{
		{"rollout only", flag.Filters{Groups: []flag.Condition{{}}}, false},
		{"person property", flag.Filters{Groups: cond(flag.Property{Key: "email", Type: "person", Value: "a"})}, false},
		{"flag dependency", flag.Filters{Groups: cond(flag.Property{Key: "12", Type: "flag", Value: true})}, true},
		{"cohort", flag.Filters{Groups: cond(flag.Property{Key: "id", Type: "cohort", Value: float64(3)})}, true},
		{"cohort in a super group", flag.Filters{SuperGroups: cond(flag.Property{Key: "id", Type: "cohort", Value: float64(3)})}, true},
		{"flag in a holdout group", flag.Filters{HoldoutGroups: cond(flag.Property{Key: "12", Type: "flag", Value: true})}, true},
	}
	for _, tt := range tests {
		if got := HasReferences(&flag.Flag{Key: "k", Filters: tt.f}); got != tt.want {
			t.Errorf("%s: HasReferences = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func dependsOn(id int64, key, on string) flag.Flag {
	return flag.Flag{ID: id, Key: key, Filters: flag.Filters{Groups: []flag.Condition{{Properties: []flag.Property{
		{Key: on, Type: "flag", Operator: "flag_evaluates_to", Value: true}}}}}}
}

func TestRefuseIfDependedOn(t *testing.T) {
	base := flag.Flag{ID: 1, Key: "base"}
	tests := []struct {
		name  string
		flags []flag.Flag
		want  []string // the dependents refused; nil when the deletion may go ahead
	}{
		{"alone", []flag.Flag{base}, nil},
		{"unrelated", []flag.Flag{base, dependsOn(2, "other", "9")}, nil},
		{"itself", []flag.Flag{dependsOn(1, "base", "1")}, nil},
		{"two dependents", []flag.Flag{base, dependsOn(2, "a", "1"), dependsOn(3, "b", "1")}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RefuseIfDependedOn(tt.flags, &base)
			var got []string
			if err != nil {
				ae := apperr.As(err)
				if ae.Kind != apperr.Conflict || ae.Code != "flag_in_use" {
					t.Fatalf("error %v, want 409 flag_in_use", err)
				}
				got = ae.Details.(FlagInUse).Flags
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTagList(t *testing.T) {
	if got := TagList(nil); got == nil || len(got) != 0 {
		t.Errorf("TagList(nil) = %#v, want an empty list", got)
	}
	if diff := cmp.Diff([]string{"a"}, TagList([]string{"a"})); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
