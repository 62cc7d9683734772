package admin

import (
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

func TestCheckSnapshotBudget(t *testing.T) {
	tests := []struct {
		name             string
		members, defs    int64
		code, detailPath string // "" for within the budget
	}{
		{"empty", 0, 0, "", ""},
		{"members at their limit", MaxMemberBytes, MaxSnapshotBytes - MaxMemberBytes, "", ""},
		{"members over their limit", MaxMemberBytes + 1, 0, "cohorts_too_large", "members"},
		{"definitions alone over", 0, MaxSnapshotBytes + 1, "snapshot_too_large", ""},
		{"together over", MaxMemberBytes, MaxSnapshotBytes - MaxMemberBytes + 1, "snapshot_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSnapshotBudget(tt.members, tt.defs)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ae := apperr.As(err)
			ps, _ := ae.Details.([]flag.Problem)
			if ae.Kind != apperr.Invalid || ae.Code != tt.code || len(ps) != 1 || ps[0].Path != tt.detailPath || ps[0].Message != ae.Message {
				t.Fatalf("error %v (details %+v), want 422 %s with one problem at %q", err, ae.Details, tt.code, tt.detailPath)
			}
		})
	}
}

func TestGrows(t *testing.T) {
	small := &flag.Flag{Key: "k", Filters: flag.Filters{Groups: []flag.Condition{{RolloutPercentage: pct(5)}}}}
	rollout := &flag.Flag{Key: "k", Filters: flag.Filters{Groups: []flag.Condition{{RolloutPercentage: pct(50)}}}}
	described := func(n int) *flag.Flag { f := *small; f.Description = strings.Repeat("d", n); return &f }
	tests := []struct {
		name      string
		cur, next *flag.Flag
		want      bool
	}{
		{"create", nil, small, true},
		{"rollout change", small, rollout, false},
		{"growth at the threshold", small, described(GrowthChecked), false},
		{"growth over the threshold", small, described(GrowthChecked + 1), true},
		{"shrinking", described(5000), small, false},
	}
	for _, tt := range tests {
		if got := Grows(tt.cur, tt.next); got != tt.want {
			t.Errorf("%s: Grows = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got, want := DefinitionBytes(described(10)), DefinitionBytes(small)+10; got != want {
		t.Errorf("DefinitionBytes with a 10-byte description = %d, want %d", got, want)
	}
}
