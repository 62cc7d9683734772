package natsconn

import "testing"

func TestOnLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr, urls string
		want       bool
	}{
		{"127.0.0.1:8081", "nats://127.0.0.1:4222", true},
		{"localhost:0", "nats://localhost:4222,nats://[::1]:4223", true},
		{":8081", "nats://127.0.0.1:4222", false},
		{"127.0.0.1:8081", "nats://127.0.0.1:4222,nats://nats-2:4222", false},
		{"10.0.0.5:8081", "nats://127.0.0.1:4222", false},
		{"no-port", "nats://127.0.0.1:4222", false},
	} {
		if got := OnLoopback(tc.addr, tc.urls); got != tc.want {
			t.Errorf("OnLoopback(%q, %q) = %v, want %v", tc.addr, tc.urls, got, tc.want)
		}
	}
}
