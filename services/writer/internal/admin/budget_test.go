package admin

import (
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
)

func TestCheckSnapshotBudget(t *testing.T) {
	const mib = 1 << 20
	chunked := int64(wire.MaxSnapshotBytes - wire.MaxSnapshotBytes/8)
	tests := []struct {
		name                      string
		maxPayload, members, defs int64
		refused                   bool
		message                   string // a part of the message, when refused
	}{
		{"empty", mib, 0, 0, false, ""},
		{"a million members of 36 characters on NATS's default server", mib, 1_000_000 * 38, 20 * mib, false, ""},
		{"unknown max_payload: NATS's default", 0, 100 * mib, 0, false, ""},
		{"at the chunked budget", mib, chunked - 10, 10, false, ""},
		{"over the chunked budget", mib, chunked, 1, true, "at most"},
		{"the same on a larger server", 64 * mib, chunked, 1, true, "at most"},
		{"one message on a server too small for chunks", 8 << 10, 0, 6 << 10, false, ""},
		{"over one message on a server too small for chunks", 8 << 10, 0, 7 << 10, true, "max_payload (8192 bytes) is too small"},
		{"a server too small for any snapshot", 512, 0, 1, true, "too small"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSnapshotBudget(tt.maxPayload, tt.members, tt.defs)
			if !tt.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ae := apperr.As(err)
			ps, _ := ae.Details.([]flag.Problem)
			if ae.Kind != apperr.Invalid || ae.Code != "snapshot_too_large" || len(ps) != 1 || ps[0].Message != ae.Message ||
				!strings.Contains(ae.Message, tt.message) {
				t.Fatalf("error %v (details %+v), want 422 snapshot_too_large with one problem saying %q", err, ae.Details, tt.message)
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
