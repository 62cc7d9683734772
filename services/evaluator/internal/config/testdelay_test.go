package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWaitsAndTestDelay(t *testing.T) {
	for _, tc := range []struct {
		name        string
		addr, nats  string
		wait, delay string
		wantWait    time.Duration
		wantDelay   time.Duration
		valid       bool
	}{
		{"defaults", "", "", "", "", 2 * time.Second, 0, true},
		{"no wait", "", "", "0s", "", 0, 0, true},
		{"wait too long", "", "", "31s", "", 31 * time.Second, 0, false},
		{"negative wait", "", "", "-1s", "", -time.Second, 0, false},
		{"delay on loopback", "127.0.0.1:0", "nats://127.0.0.1:4222", "", "300ms", 2 * time.Second, 300 * time.Millisecond, true},
		{"delay on localhost and ::1", "localhost:8081", "nats://[::1]:4222,nats://localhost:4223", "", "1s", 2 * time.Second, time.Second, true},
		{"delay on every interface", ":8081", "nats://127.0.0.1:4222", "", "1s", 2 * time.Second, time.Second, false},
		{"delay with a remote NATS", "127.0.0.1:8081", "nats://127.0.0.1:4222,nats://nats-2:4222", "", "1s", 2 * time.Second, time.Second, false},
		{"negative delay", "127.0.0.1:8081", "nats://127.0.0.1:4222", "", "-1s", 2 * time.Second, -time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("EVALUATOR_ADDR", tc.addr)
			t.Setenv("NATS_URL", tc.nats)
			t.Setenv("HALYARD_MIN_VERSION_WAIT", tc.wait)
			t.Setenv("HALYARD_TEST_APPLY_DELAY", tc.delay)
			c, err := FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			type outcome struct {
				Wait, Delay time.Duration
				Valid       bool
			}
			want := outcome{tc.wantWait, tc.wantDelay, tc.valid}
			got := outcome{c.MinVersionWait, c.TestApplyDelay, c.Validate() == nil}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Setenv("HALYARD_MIN_VERSION_WAIT", "soon")
	if _, err := FromEnv(); err == nil {
		t.Error("HALYARD_MIN_VERSION_WAIT=soon accepted")
	}
}
