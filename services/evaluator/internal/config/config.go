// Package config reads the evaluator's configuration from the environment into a typed struct with defaults,
// validated separately.
package config

import (
	"errors"
	"os"
	"strings"
)

// Config is the evaluator's effective configuration.
type Config struct {
	NATSURL       string // NATS_URL
	Addr          string // EVALUATOR_ADDR
	Stream        string // HALYARD_STREAM
	SubjectPrefix string // HALYARD_SUBJECT_PREFIX
	LogFormat     string // HALYARD_LOG_FORMAT
}

// Help documents every variable, for -h.
const Help = `Environment:
  NATS_URL                 NATS URL (default nats://127.0.0.1:4222)
  EVALUATOR_ADDR           listen address (default :8081)
  HALYARD_STREAM           JetStream stream holding snapshots (default HALYARD_SNAPSHOTS)
  HALYARD_SUBJECT_PREFIX   snapshot subject prefix (default halyard.snapshot)
  HALYARD_LOG_FORMAT       json or console (default json)`

// FromEnv reads the configuration; call Validate before use.
func FromEnv() Config {
	return Config{
		NATSURL:       envOr("NATS_URL", "nats://127.0.0.1:4222"),
		Addr:          envOr("EVALUATOR_ADDR", ":8081"),
		Stream:        envOr("HALYARD_STREAM", "HALYARD_SNAPSHOTS"),
		SubjectPrefix: envOr("HALYARD_SUBJECT_PREFIX", "halyard.snapshot"),
		LogFormat:     envOr("HALYARD_LOG_FORMAT", "json"),
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, errors.New("HALYARD_LOG_FORMAT must be json or console"))
	}
	if strings.ContainsAny(c.SubjectPrefix, " *>") || c.SubjectPrefix == "" {
		errs = append(errs, errors.New("HALYARD_SUBJECT_PREFIX must be a plain subject"))
	}
	if c.Stream == "" {
		errs = append(errs, errors.New("HALYARD_STREAM must not be empty"))
	}
	return errors.Join(errs...)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
