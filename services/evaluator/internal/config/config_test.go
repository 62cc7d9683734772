package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLogLevel(t *testing.T) {
	for _, tc := range []struct {
		name, level, debug string
		want               string
		valid              bool
	}{
		{"default", "", "", "info", true},
		{"set", "warn", "", "warn", true},
		{"HALYARD_DEBUG alone", "", "1", "debug", true},
		{"HALYARD_LOG_LEVEL wins", "error", "1", "error", true},
		{"unknown", "verbose", "", "verbose", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HALYARD_LOG_LEVEL", tc.level)
			t.Setenv("HALYARD_DEBUG", tc.debug)
			c, err := FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.LogLevel); diff != "" {
				t.Errorf("LogLevel mismatch (-want +got):\n%s", diff)
			}
			if err := c.Validate(); (err == nil) != tc.valid {
				t.Errorf("Validate() = %v, want valid %t", err, tc.valid)
			}
		})
	}
}
