package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTestPauseAtOnlyOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		name, pause, addr, nats string
		valid                   bool
	}{
		{"unset anywhere", "", ":8080", "nats://nats.example.com:4222", true},
		{"loopback", "after-puback", "127.0.0.1:8080", "nats://127.0.0.1:4222", true},
		{"loopback cluster", "after-mark", "localhost:8080", "nats://127.0.0.1:4222,nats://[::1]:4223", true},
		{"every interface", "after-commit", ":8080", "nats://127.0.0.1:4222", false},
		{"remote NATS", "after-commit", "127.0.0.1:8080", "nats://127.0.0.1:4222,nats://nats.example.com:4222", false},
		{"unknown step", "before-commit", "127.0.0.1:8080", "nats://127.0.0.1:4222", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", "postgres://db/halyard")
			t.Setenv("HALYARD_ADMIN_TOKEN", "0123456789abcdef")
			t.Setenv("WRITER_ADDR", tc.addr)
			t.Setenv("NATS_URL", tc.nats)
			t.Setenv("HALYARD_TEST_PAUSE_AT", tc.pause)
			c, err := FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.pause, c.TestPauseAt); diff != "" {
				t.Errorf("TestPauseAt mismatch (-want +got):\n%s", diff)
			}
			if err := c.Validate(); (err == nil) != tc.valid {
				t.Errorf("Validate() = %v, want valid %v", err, tc.valid)
			}
		})
	}
}
