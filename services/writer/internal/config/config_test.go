package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFromEnvDefaultsAndValidate(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://u:secret@db/halyard")
	t.Setenv("HALYARD_ADMIN_TOKEN", "0123456789abcdef")
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Stream != "HALYARD_SNAPSHOTS" || c.StreamReplicas != 1 || c.PollInterval != time.Second {
		t.Errorf("defaults = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	r := c.Redacted()
	if strings.Contains(r.DatabaseURL, "secret") || r.AdminToken == c.AdminToken {
		t.Errorf("Redacted leaks secrets: %+v", r)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Config{AdminToken: "short", StreamReplicas: 2, PollInterval: time.Millisecond, LogFormat: "xml", SubjectPrefix: "a.>", EvaluatorURL: "flags.example.com"}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	for _, want := range []string{"DATABASE_URL", "HALYARD_ADMIN_TOKEN", "HALYARD_STREAM_REPLICAS", "HALYARD_OUTBOX_POLL", "HALYARD_LOG_FORMAT", "HALYARD_LOG_LEVEL", "HALYARD_SUBJECT_PREFIX", "HALYARD_EVALUATOR_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

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
			t.Setenv("DATABASE_URL", "postgres://db/halyard")
			t.Setenv("HALYARD_ADMIN_TOKEN", "0123456789abcdef")
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
		name string
		in   Config
		want Config
	}{
		{"no secrets but the token",
			Config{DatabaseURL: "postgres://db/halyard", NATSURL: "nats://127.0.0.1:4222", AdminToken: "0123456789abcdef"},
			Config{DatabaseURL: "postgres://db/halyard", NATSURL: "nats://127.0.0.1:4222", AdminToken: "[redacted]"}},
		{"database URL password",
			Config{DatabaseURL: "postgres://halyard:s3cret@db:5432/halyard?sslmode=require"},
			Config{DatabaseURL: "postgres://halyard:redacted@db:5432/halyard?sslmode=require", AdminToken: "[redacted]"}},
		{"database DSN password",
			Config{DatabaseURL: "host=db user=halyard password='s3 cret' dbname=halyard"},
			Config{DatabaseURL: "host=db user=halyard password=redacted dbname=halyard", AdminToken: "[redacted]"}},
		{"NATS user and password",
			Config{NATSURL: "nats://halyard:s3cret@nats:4222"},
			Config{NATSURL: "nats://halyard:redacted@nats:4222", AdminToken: "[redacted]"}},
		{"NATS token",
			Config{NATSURL: "nats://s3cret@nats:4222"},
			Config{NATSURL: "nats://redacted@nats:4222", AdminToken: "[redacted]"}},
		{"every URL of a NATS list",
			Config{NATSURL: "nats://u:a@n1:4222,nats://n2:4222,nats://t0ken@n3:4222"},
			Config{NATSURL: "nats://u:redacted@n1:4222,nats://n2:4222,nats://redacted@n3:4222", AdminToken: "[redacted]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.in.Redacted()); diff != "" {
				t.Errorf("Redacted() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
