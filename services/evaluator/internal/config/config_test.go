package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/natsconn"
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

func TestRedacted(t *testing.T) {
	for _, tc := range []struct {
		name, nats, want string
	}{
		{"no credentials", "nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"user and password", "nats://halyard:s3cret@nats:4222", "nats://halyard:redacted@nats:4222"},
		{"token", "nats://s3cret@nats:4222", "nats://redacted@nats:4222"},
		{"every URL of a list", "nats://u:a@n1:4222, nats://n2:4222,t0ken@n3:4222", "nats://u:redacted@n1:4222,nats://n2:4222,redacted@n3:4222"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{NATS: natsconn.Config{URL: tc.nats, User: "halyard", Password: "pw", Creds: "/etc/nats/u.creds"},
				Addr: ":8081", Stream: "HALYARD_SNAPSHOTS"}
			want := c
			want.NATS.URL, want.NATS.Password = tc.want, "[redacted]"
			if diff := cmp.Diff(want, c.Redacted()); diff != "" {
				t.Errorf("Redacted() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromEnvAndValidateReportEverything: every value that does not parse, and every setting that is wrong,
// is named, NATS's, the HTTP server's and tracing's included.
func TestFromEnvAndValidateReportEverything(t *testing.T) {
	t.Setenv("HALYARD_RATE_LIMIT", "lots")
	t.Setenv("HALYARD_SHUTDOWN_TIMEOUT", "10")
	c, err := FromEnv()
	want := `HALYARD_RATE_LIMIT: "lots" is not a number` + "\n" + `HALYARD_SHUTDOWN_TIMEOUT: "10" is not a duration (like 5s or 250ms)`
	if diff := cmp.Diff(want, errString(err)); diff != "" {
		t.Errorf("FromEnv error mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(DefaultHTTP, c.HTTP); diff != "" {
		t.Errorf("HTTP defaults mismatch (-want +got):\n%s", diff)
	}
	if c.Tracing.Enabled() {
		t.Errorf("tracing is on by default: %+v", c.Tracing)
	}
	c.NATS.TLSCert = "/etc/nats/client.pem"
	c.HTTP.IdleTimeout = -1
	c.Tracing.Mode = "zipkin"
	want = "NATS_TLS_CERT and NATS_TLS_KEY go together\nNATS_TLS_CERT: cannot read /etc/nats/client.pem: no such file or directory\n" +
		"HALYARD_HTTP_IDLE_TIMEOUT must be positive\nHALYARD_TRACING must be otlp or off"
	if diff := cmp.Diff(want, errString(c.Validate())); diff != "" {
		t.Errorf("Validate mismatch (-want +got):\n%s", diff)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestAdminAddr(t *testing.T) {
	for _, tc := range []struct {
		name, env, want string
		valid           bool
	}{
		{"default", "", ":9090", true},
		{"host and port", "127.0.0.1:9100", "127.0.0.1:9100", true},
		{"off", "off", "off", true},
		{"no port", "localhost", "localhost", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HALYARD_ADMIN_ADDR", tc.env)
			c, err := FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.AdminAddr); diff != "" {
				t.Errorf("AdminAddr mismatch (-want +got):\n%s", diff)
			}
			if err := c.Validate(); (err == nil) != tc.valid {
				t.Errorf("Validate() = %v, want valid %t", err, tc.valid)
			}
		})
	}
}
