package httpserve

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config says how a server times connections out and how it shuts down. Every field has an environment
// variable (ConfigFromEnv); each service has its own defaults.
type Config struct {
	ReadHeaderTimeout time.Duration // HALYARD_HTTP_READ_HEADER_TIMEOUT: a request's headers must arrive within it
	ReadTimeout       time.Duration // HALYARD_HTTP_READ_TIMEOUT: a whole request, body included
	WriteTimeout      time.Duration // HALYARD_HTTP_WRITE_TIMEOUT: from the end of the headers to the end of the answer
	IdleTimeout       time.Duration // HALYARD_HTTP_IDLE_TIMEOUT: a kept-alive connection between requests
	LameDuck          time.Duration // HALYARD_LAME_DUCK: not ready but still serving, before Shutdown
	ShutdownTimeout   time.Duration // HALYARD_SHUTDOWN_TIMEOUT: for the requests in flight at Shutdown
}

// setting is one Config field and its variable.
type setting struct {
	env, what string
	field     func(*Config) *time.Duration
}

var settings = []setting{
	{"HALYARD_HTTP_READ_HEADER_TIMEOUT", "time to read a request's headers", func(c *Config) *time.Duration { return &c.ReadHeaderTimeout }},
	{"HALYARD_HTTP_READ_TIMEOUT", "time to read a whole request", func(c *Config) *time.Duration { return &c.ReadTimeout }},
	{"HALYARD_HTTP_WRITE_TIMEOUT", "time from a request's headers to the end of its answer", func(c *Config) *time.Duration { return &c.WriteTimeout }},
	{"HALYARD_HTTP_IDLE_TIMEOUT", "how long an idle kept-alive connection stays open", func(c *Config) *time.Duration { return &c.IdleTimeout }},
	{"HALYARD_LAME_DUCK", "on SIGTERM, not ready but still serving for this long", func(c *Config) *time.Duration { return &c.LameDuck }},
	{"HALYARD_SHUTDOWN_TIMEOUT", "then how long requests in flight may take to finish", func(c *Config) *time.Duration { return &c.ShutdownTimeout }},
}

// ConfigFromEnv reads every variable through getenv; an unset one keeps def's value. It reports every
// variable that is not a duration.
func ConfigFromEnv(getenv func(string) string, def Config) (Config, error) {
	c := def
	var errs []error
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration (like 5s or 250ms)", s.env, v))
			continue
		}
		*s.field(&c) = d
	}
	return c, errors.Join(errs...)
}

// Validate reports every problem at once: each timeout must be positive, the lame duck must not be negative.
func (c Config) Validate() error {
	var errs []error
	for _, s := range settings {
		d := *s.field(&c)
		if d < 0 || (d == 0 && s.env != "HALYARD_LAME_DUCK") {
			errs = append(errs, fmt.Errorf("%s must be positive", s.env))
		}
	}
	return errors.Join(errs...)
}

// Help documents the variables with def's values as their defaults, in the layout of the services' -h.
func Help(def Config) string {
	var b strings.Builder
	for i, s := range settings {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  %-32s %s (default %s)", s.env, s.what, *s.field(&def))
	}
	return b.String()
}
