// Package config reads the writer's configuration from the environment into a typed struct with defaults,
// validated separately so a bad setting stops the process before it serves anything.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/logging"
)

// Config is the writer's effective configuration.
type Config struct {
	DatabaseURL    string        // DATABASE_URL
	NATSURL        string        // NATS_URL
	Addr           string        // WRITER_ADDR
	AdminToken     string        // HALYARD_ADMIN_TOKEN: the bootstrap admin bearer token
	Stream         string        // HALYARD_STREAM: JetStream stream holding snapshots
	SubjectPrefix  string        // HALYARD_SUBJECT_PREFIX: snapshots go to <prefix>.<environment id>
	StreamReplicas int           // HALYARD_STREAM_REPLICAS
	PollInterval   time.Duration // HALYARD_OUTBOX_POLL: publisher polling fallback when NOTIFY is missed
	LogFormat      string        // HALYARD_LOG_FORMAT: json or console
	LogLevel       string        // HALYARD_LOG_LEVEL: debug, info, warn or error (HALYARD_DEBUG: debug)
	EvaluatorURL   string        // HALYARD_EVALUATOR_URL: where SDKs reach an evaluator, shown in the UI's snippets
}

// Help documents every variable, for -h.
const Help = `Environment:
  DATABASE_URL             PostgreSQL URL (required; pool_max_conns=N sets the pool size, default 20)
  NATS_URL                 NATS URL (default nats://127.0.0.1:4222)
  WRITER_ADDR              listen address (default :8080)
  HALYARD_ADMIN_TOKEN      bootstrap admin bearer token (required, >= 16 characters)
  HALYARD_STREAM           JetStream stream for snapshots (default HALYARD_SNAPSHOTS)
  HALYARD_SUBJECT_PREFIX   snapshot subject prefix (default halyard.snapshot)
  HALYARD_STREAM_REPLICAS  stream replicas, 1 or 3 for a NATS cluster (default 1)
  HALYARD_OUTBOX_POLL      outbox polling fallback interval (default 1s)
  HALYARD_LOG_FORMAT       json or console (default json)
  HALYARD_LOG_LEVEL        debug, info, warn or error (default info)
  HALYARD_DEBUG            set to anything: debug-level logs when HALYARD_LOG_LEVEL is not set
  HALYARD_EVALUATOR_URL    evaluators' URL as SDKs reach it, filled into the admin UI's SDK snippets (default none)`

// FromEnv reads the configuration; call Validate before use.
func FromEnv() (Config, error) {
	c := Config{
		DatabaseURL:   os.Getenv("DATABASE_URL"),
		NATSURL:       envOr("NATS_URL", "nats://127.0.0.1:4222"),
		Addr:          envOr("WRITER_ADDR", ":8080"),
		AdminToken:    os.Getenv("HALYARD_ADMIN_TOKEN"),
		Stream:        envOr("HALYARD_STREAM", "HALYARD_SNAPSHOTS"),
		SubjectPrefix: envOr("HALYARD_SUBJECT_PREFIX", "halyard.snapshot"),
		LogFormat:     envOr("HALYARD_LOG_FORMAT", "json"),
		LogLevel:      logging.LevelFromEnv(os.Getenv),
		EvaluatorURL:  os.Getenv("HALYARD_EVALUATOR_URL"),
	}
	var err error
	if c.StreamReplicas, err = strconv.Atoi(envOr("HALYARD_STREAM_REPLICAS", "1")); err != nil {
		return c, fmt.Errorf("HALYARD_STREAM_REPLICAS: %w", err)
	}
	if c.PollInterval, err = time.ParseDuration(envOr("HALYARD_OUTBOX_POLL", "1s")); err != nil {
		return c, fmt.Errorf("HALYARD_OUTBOX_POLL: %w", err)
	}
	return c, nil
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if len(c.AdminToken) < 16 {
		errs = append(errs, errors.New("HALYARD_ADMIN_TOKEN must be at least 16 characters"))
	}
	if c.StreamReplicas != 1 && c.StreamReplicas != 3 && c.StreamReplicas != 5 {
		errs = append(errs, errors.New("HALYARD_STREAM_REPLICAS must be 1, 3 or 5"))
	}
	if c.PollInterval < 10*time.Millisecond {
		errs = append(errs, errors.New("HALYARD_OUTBOX_POLL must be at least 10ms"))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, errors.New("HALYARD_LOG_FORMAT must be json or console"))
	}
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, errors.New("HALYARD_LOG_LEVEL must be debug, info, warn or error"))
	}
	if u, err := url.Parse(c.EvaluatorURL); c.EvaluatorURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, errors.New("HALYARD_EVALUATOR_URL must be an http or https URL"))
	}
	if strings.ContainsAny(c.SubjectPrefix, " *>") || c.SubjectPrefix == "" {
		errs = append(errs, errors.New("HALYARD_SUBJECT_PREFIX must be a plain subject"))
	}
	return errors.Join(errs...)
}

// Redacted returns the configuration with secrets masked, for the start-up log: the admin token, the
// database password (of a URL or a key=value DSN) and the credentials of every NATS server URL.
func (c Config) Redacted() Config {
	c.AdminToken = "[redacted]"
	c.DatabaseURL = logging.RedactPostgres(c.DatabaseURL)
	c.NATSURL = logging.RedactNATS(c.NATSURL)
	return c
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
