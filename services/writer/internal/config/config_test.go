package config

import (
	"strings"
	"testing"
	"time"
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
	c := Config{AdminToken: "short", StreamReplicas: 2, PollInterval: time.Millisecond, LogFormat: "xml", SubjectPrefix: "a.>"}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	for _, want := range []string{"DATABASE_URL", "HALYARD_ADMIN_TOKEN", "HALYARD_STREAM_REPLICAS", "HALYARD_OUTBOX_POLL", "HALYARD_LOG_FORMAT", "HALYARD_SUBJECT_PREFIX"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}
