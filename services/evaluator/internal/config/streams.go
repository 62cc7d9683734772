package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Streams configures the change streams (OFREP event streams and PostHog's stream protocol).
type Streams struct {
	Enabled     bool          // HALYARD_STREAMS: on (default) or off
	Secret      string        // HALYARD_STREAM_SECRET: signs stream tokens; empty = a random key per process
	TokenTTL    time.Duration // HALYARD_STREAM_TOKEN_TTL (6h): a token lives between half of it and all of it
	Heartbeat   time.Duration // HALYARD_STREAM_HEARTBEAT (15s)
	MaxLifetime time.Duration // HALYARD_STREAM_MAX_LIFETIME (30m)
	Stagger     time.Duration // HALYARD_STREAM_STAGGER (1s): the longest spread of one change's notifications
	RefetchRate float64       // HALYARD_STREAM_REFETCH_RATE (20000): refetches/s a spread aims at
	Max         int           // HALYARD_STREAM_MAX (50000): open streams per replica
	URL         string        // HALYARD_STREAM_URL: the evaluators' public URL, for an absolute OFREP stream url
}

// StreamsHelp documents the stream variables, for -h.
const StreamsHelp = `  HALYARD_STREAMS              on or off: OFREP event streams and PostHog's /stream/v1 (default on)
  HALYARD_STREAM_SECRET        key (≥ 32 characters) signing stream tokens; set the same on every replica
                               behind one load balancer (default: a random key per process)
  HALYARD_STREAM_TOKEN_TTL     lifetime of the stream tokens in OFREP bulk answers (default 6h)
  HALYARD_STREAM_HEARTBEAT     heartbeat after this long without a write (default 15s)
  HALYARD_STREAM_MAX_LIFETIME  a stream is closed with a reconnect hint after about this long (default 30m)
  HALYARD_STREAM_STAGGER       longest window one change's OFREP notifications are spread over; 0 = never
                               (default 1s)
  HALYARD_STREAM_REFETCH_RATE  refetches per second the spread aims at: window = streams ÷ rate, capped by
                               HALYARD_STREAM_STAGGER (default 20000)
  HALYARD_STREAM_MAX           open streams per replica; more are refused with 503 (default 50000)
  HALYARD_STREAM_URL           public base URL of the evaluators, e.g. https://flags.example.com: OFREP bulk
                               answers then advertise an absolute stream url (default: a path, which
                               providers resolve against their OFREP base URL)`

func streamsFromEnv() (Streams, error) {
	s := Streams{Secret: envOr("HALYARD_STREAM_SECRET", ""), URL: envOr("HALYARD_STREAM_URL", "")}
	var errs []error
	switch v := envOr("HALYARD_STREAMS", "on"); v {
	case "on", "true", "1":
		s.Enabled = true
	case "off", "false", "0":
	default:
		errs = append(errs, fmt.Errorf("HALYARD_STREAMS=%q: want on or off", v))
	}
	dur := func(name, def string) time.Duration {
		d, err := time.ParseDuration(envOr(name, def))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		return d
	}
	s.TokenTTL = dur("HALYARD_STREAM_TOKEN_TTL", "6h")
	s.Heartbeat = dur("HALYARD_STREAM_HEARTBEAT", "15s")
	s.MaxLifetime = dur("HALYARD_STREAM_MAX_LIFETIME", "30m")
	s.Stagger = dur("HALYARD_STREAM_STAGGER", "1s")
	var err error
	if s.RefetchRate, err = strconv.ParseFloat(envOr("HALYARD_STREAM_REFETCH_RATE", "20000"), 64); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_STREAM_REFETCH_RATE: %w", err))
	}
	if s.Max, err = strconv.Atoi(envOr("HALYARD_STREAM_MAX", "50000")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_STREAM_MAX: %w", err))
	}
	return s, errors.Join(errs...)
}

func (s Streams) validate() []error {
	var errs []error
	if s.Secret != "" && len(s.Secret) < 32 {
		errs = append(errs, errors.New("HALYARD_STREAM_SECRET must be at least 32 characters"))
	}
	if s.TokenTTL < time.Minute {
		errs = append(errs, errors.New("HALYARD_STREAM_TOKEN_TTL must be at least 1m"))
	}
	if s.Heartbeat < time.Second || s.MaxLifetime < time.Second {
		errs = append(errs, errors.New("HALYARD_STREAM_HEARTBEAT and HALYARD_STREAM_MAX_LIFETIME must be at least 1s"))
	}
	if s.Stagger < 0 || s.RefetchRate <= 0 || s.Max <= 0 {
		errs = append(errs, errors.New("HALYARD_STREAM_STAGGER must not be negative; HALYARD_STREAM_REFETCH_RATE and HALYARD_STREAM_MAX must be positive"))
	}
	if s.URL != "" {
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("HALYARD_STREAM_URL must be an http or https URL"))
		}
	}
	return errs
}

// redacted masks the secret for the start-up log.
func (s Streams) redacted() Streams {
	if s.Secret != "" {
		s.Secret = "redacted"
	}
	return s
}
