package postgres

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

func TestAttachMembers(t *testing.T) {
	cohorts := []flag.Cohort{{ID: 1, IsStatic: true}, {ID: 2}, {ID: 3, IsStatic: true}, {ID: 4, IsStatic: true}}
	attachMembers(cohorts, []cohortMember{{1, "a"}, {1, "b"}, {3, "c"}, {9, "orphan"}})
	got := [][]string{cohorts[0].Members, cohorts[1].Members, cohorts[2].Members, cohorts[3].Members}
	want := [][]string{{"a", "b"}, nil, {"c"}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("members mismatch (-want +got):\n%s", diff)
	}
}
