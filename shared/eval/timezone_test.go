package eval

import (
	"testing"
	"time"
	_ "time/tzdata" // the test must not depend on the machine's zoneinfo

	"github.com/halyard-flags/halyard/shared/flag"
)

// TestTeamTimezone pins parse_date_string_in_tz and parse_relative_date_in_tz
// (properties/property_matching.rs, properties/relative_date.rs): naive dates on both sides are wall clocks
// in the team timezone, explicit offsets are honoured, relative dates count back on the team's wall clock,
// and naive_to_utc_in_tz takes the earlier instant in a DST overlap and fails in a DST gap.
func TestTeamTimezone(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		op    string
		value string
		prop  any
		now   time.Time
		inLA  bool
		inUTC bool
	}{
		{"naive filter date is midnight in the team timezone", "is_date_after", `"2024-06-01"`, "2024-06-01T05:00:00Z", fixedNow, false, true},
		{"naive on both sides agree in any timezone", "is_date_after", `"2024-06-01"`, "2024-06-01T03:00:00", fixedNow, true, true},
		{"unix seconds are instants", "is_date_before", `"2024-06-01"`, float64(1717218000), fixedNow, true, false}, // 2024-06-01T05:00Z
		{"-7d across the spring-forward change counts wall-clock days", "is_date_after", `"-7d"`, "2024-03-05T12:30:00Z",
			time.Date(2024, 3, 12, 12, 0, 0, 0, time.UTC), false, true},
		{"a naive time in the DST gap never matches", "is_date_before", `"2024-03-10T02:30"`, "2000-01-01", fixedNow, false, true},
		{"a naive time in the DST overlap is the earlier instant", "is_date_exact", `"2024-11-03T01:30"`, "2024-11-03T08:30:00Z", fixedNow, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tz := range []struct {
				loc  *time.Location
				want bool
			}{{la, tt.inLA}, {nil, tt.inUTC}} {
				e := Compile(Definitions{Flags: []flag.Flag{mustFlag(t, propFlag(tt.op, tt.value))}, Timezone: tz.loc})
				r := evalOne(t, e, "f", &Context{DistinctID: "d", Now: tt.now, PersonProperties: map[string]any{"k": tt.prop}})
				if r.Enabled != tz.want {
					t.Errorf("timezone %v: enabled = %v, want %v", tz.loc, r.Enabled, tz.want)
				}
			}
		})
	}
}
