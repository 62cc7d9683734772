package postgres

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

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
		if got := hasReferences(&flag.Flag{Key: "k", Filters: tt.f}); got != tt.want {
			t.Errorf("%s: hasReferences = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRefuseNew(t *testing.T) {
	old := flag.Problem{Flag: "a", Path: "filters", Message: "was already wrong"}
	fresh := flag.Problem{Flag: "a", Path: "filters.groups[0]", Message: "new"}
	if err := refuseNew([]flag.Problem{old}, []flag.Problem{old}); err != nil {
		t.Fatalf("a problem that was there before refused the change: %v", err)
	}
	if err := refuseNew(nil, nil); err != nil {
		t.Fatalf("no problem refused the change: %v", err)
	}
	if err := refuseNew([]flag.Problem{old}, []flag.Problem{old, fresh}); err == nil {
		t.Fatal("a new problem did not refuse the change")
	}
}

func TestAttachMembers(t *testing.T) {
	cohorts := []flag.Cohort{{ID: 1, IsStatic: true}, {ID: 2}, {ID: 3, IsStatic: true}, {ID: 4, IsStatic: true}}
	attachMembers(cohorts, []cohortMember{{1, "a"}, {1, "b"}, {3, "c"}, {9, "orphan"}})
	got := [][]string{cohorts[0].Members, cohorts[1].Members, cohorts[2].Members, cohorts[3].Members}
	want := [][]string{{"a", "b"}, nil, {"c"}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("members mismatch (-want +got):\n%s", diff)
	}
}
