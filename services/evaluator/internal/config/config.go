// Package config reads the evaluator's configuration from the environment into a typed struct with defaults,
// validated separately.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/halyard-flags/halyard/shared/logging"
)

// Config is the evaluator's effective configuration.
type Config struct {
	NATSURL       string // NATS_URL
	Addr          string // EVALUATOR_ADDR
	Stream        string // HALYARD_STREAM
	SubjectPrefix string // HALYARD_SUBJECT_PREFIX
	LogFormat     string // HALYARD_LOG_FORMAT
	LogLevel      string // HALYARD_LOG_LEVEL: debug, info, warn or error (HALYARD_DEBUG: debug)
	// RateLimit is the requests per second each SDK or server key may make to this replica (0 = no limit);
	// RateBurst the bucket size (default: one second's worth).
	RateLimit float64 // HALYARD_RATE_LIMIT
	RateBurst int     // HALYARD_RATE_BURST
	Streams   Streams // HALYARD_STREAMS, HALYARD_STREAM_*: see streams.go
}

// Help documents every variable, for -h.
const Help = `Environment:
  NATS_URL                 NATS URL (default nats://127.0.0.1:4222)
  EVALUATOR_ADDR           listen address (default :8081)
  HALYARD_STREAM           JetStream stream holding snapshots (default HALYARD_SNAPSHOTS)
  HALYARD_SUBJECT_PREFIX   snapshot subject prefix (default halyard.snapshot)
  HALYARD_LOG_FORMAT       json or console (default json)
  HALYARD_RATE_LIMIT       requests per second per SDK/server key on this replica; 0 = no limit (default 0)
  HALYARD_RATE_BURST       burst per key (default: one second of HALYARD_RATE_LIMIT)
  HALYARD_LOG_LEVEL        debug, info, warn or error (default info)
  HALYARD_DEBUG            set to anything: debug-level logs when HALYARD_LOG_LEVEL is not set
` + StreamsHelp

// FromEnv reads the configuration; call Validate before use.
func FromEnv() (Config, error) {
	c := Config{
		NATSURL:       envOr("NATS_URL", "nats://127.0.0.1:4222"),
		Addr:          envOr("EVALUATOR_ADDR", ":8081"),
		Stream:        envOr("HALYARD_STREAM", "HALYARD_SNAPSHOTS"),
		SubjectPrefix: envOr("HALYARD_SUBJECT_PREFIX", "halyard.snapshot"),
		LogFormat:     envOr("HALYARD_LOG_FORMAT", "json"),
		LogLevel:      logging.LevelFromEnv(os.Getenv),
	}
	var err error
	if c.RateLimit, err = strconv.ParseFloat(envOr("HALYARD_RATE_LIMIT", "0"), 64); err != nil {
		return c, fmt.Errorf("HALYARD_RATE_LIMIT: %w", err)
	}
	if c.RateBurst, err = strconv.Atoi(envOr("HALYARD_RATE_BURST", "0")); err != nil {
		return c, fmt.Errorf("HALYARD_RATE_BURST: %w", err)
	}
	if c.RateBurst == 0 {
		c.RateBurst = int(math.Ceil(c.RateLimit))
	}
	c.Streams, err = streamsFromEnv()
	return c, err
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, errors.New("HALYARD_LOG_FORMAT must be json or console"))
	}
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, errors.New("HALYARD_LOG_LEVEL must be debug, info, warn or error"))
	}
	if strings.ContainsAny(c.SubjectPrefix, " *>") || c.SubjectPrefix == "" {
		errs = append(errs, errors.New("HALYARD_SUBJECT_PREFIX must be a plain subject"))
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		errs = append(errs, errors.New("HALYARD_RATE_LIMIT and HALYARD_RATE_BURST must not be negative"))
	}
	if c.Stream == "" {
		errs = append(errs, errors.New("HALYARD_STREAM must not be empty"))
	}
	errs = append(errs, c.Streams.validate()...)
	return errors.Join(errs...)
}

// Redacted returns the configuration with the credentials of every NATS server URL masked, for the
// start-up log.
func (c Config) Redacted() Config {
	c.NATSURL = logging.RedactNATS(c.NATSURL)
	c.Streams = c.Streams.redacted()
	return c
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
