// Package config reads the evaluator's configuration from the environment into a typed struct with defaults,
// validated separately.
package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/logging"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/tracing"
)

// Config is the evaluator's effective configuration.
type Config struct {
	NATS          natsconn.Config  // NATS_URL, NATS_CREDS, NATS_TLS_CA, …
	Addr          string           // EVALUATOR_ADDR
	AdminAddr     string           // HALYARD_ADMIN_ADDR: /metrics and /status; "off" disables it
	HTTP          httpserve.Config // HALYARD_HTTP_*_TIMEOUT, HALYARD_LAME_DUCK, HALYARD_SHUTDOWN_TIMEOUT
	Stream        string           // HALYARD_STREAM
	SubjectPrefix string           // HALYARD_SUBJECT_PREFIX
	LogFormat     string           // HALYARD_LOG_FORMAT
	LogLevel      string           // HALYARD_LOG_LEVEL: debug, info, warn or error (HALYARD_DEBUG: debug)
	// RateLimit is the requests per second each SDK or server key may make to this replica (0 = no limit);
	// RateBurst the bucket size (default: one second's worth).
	RateLimit float64 // HALYARD_RATE_LIMIT
	RateBurst int     // HALYARD_RATE_BURST
	// RateLimitIP is the requests per second each client address may make to this replica (0 = no limit),
	// RateBurstIP its bucket; the address is the peer's, or X-Forwarded-For's when the peer is in
	// TrustedProxies.
	RateLimitIP    float64      // HALYARD_RATE_LIMIT_IP
	RateBurstIP    int          // HALYARD_RATE_BURST_IP
	TrustedProxies []*net.IPNet // HALYARD_TRUSTED_PROXIES
	// MinVersionWait bounds how long a request naming an environment version (Halyard-Min-Version) waits
	// for this replica to apply it before a 503.
	MinVersionWait time.Duration // HALYARD_MIN_VERSION_WAIT
	// TestApplyDelay delays every snapshot apply: for tests of read-your-writes only, refused unless the
	// evaluator listens on loopback and follows a NATS server on loopback (testdelay.go).
	TestApplyDelay time.Duration // HALYARD_TEST_APPLY_DELAY
	Streams        Streams       // HALYARD_STREAMS, HALYARD_STREAM_*: see streams.go
	// Tracing is HALYARD_TRACING and the standard OTEL_* variables: off unless an OTLP endpoint is set. Only
	// snapshot applies are traced, never SDK requests.
	Tracing tracing.Config
	// SnapshotDir, when set, is where the evaluator keeps every snapshot it applies, to start from them when
	// NATS cannot be reached at start ("" = off).
	SnapshotDir string // HALYARD_SNAPSHOT_DIR
	// SnapshotPublicKeys is HALYARD_SNAPSHOT_PUBLIC_KEYS: the public keys one of which must have signed
	// every snapshot ("": unsigned snapshots are applied; see signing.go).
	SnapshotPublicKeys string
}

// DefaultHTTP is the evaluator's HTTP configuration: bodies are at most 1 MiB, but browser SDKs on slow
// mobile links send and receive them too.
var DefaultHTTP = httpserve.Config{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
	WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, LameDuck: 5 * time.Second, ShutdownTimeout: 10 * time.Second}

// Help documents every variable, for -h.
var Help = `Environment:
` + natsconn.Help + `
  EVALUATOR_ADDR           listen address (default :8081)
  HALYARD_ADMIN_ADDR       admin listen address for /metrics and /status, or off (default :9090)
  HALYARD_STREAM           JetStream stream holding snapshots (default HALYARD_SNAPSHOTS)
  HALYARD_SUBJECT_PREFIX   snapshot subject prefix (default halyard.snapshot)
  HALYARD_LOG_FORMAT       json or console (default json)
  HALYARD_RATE_LIMIT       requests per second per SDK/server key on this replica; 0 = no limit (default 0)
  HALYARD_RATE_BURST       burst per key (default: one second of HALYARD_RATE_LIMIT)
  HALYARD_RATE_LIMIT_IP    requests per second per client address on this replica; 0 = no limit (default 0)
  HALYARD_RATE_BURST_IP    burst per address (default: one second of HALYARD_RATE_LIMIT_IP)
  HALYARD_TRUSTED_PROXIES  comma-separated networks (CIDR) of the proxies whose X-Forwarded-For names the
                           client address; unset, X-Forwarded-For is ignored (default none)
  HALYARD_MIN_VERSION_WAIT how long a request naming a version (Halyard-Min-Version) waits for it (default 2s, at most 30s)
  HALYARD_SNAPSHOT_DIR     keep every snapshot applied in this directory, and start from it when NATS is unreachable (default: off)
  HALYARD_SNAPSHOT_PUBLIC_KEYS
                           Ed25519 public keys (PEM, or base64 separated by commas) of the writers' signing keys:
                           snapshots none of them signed are refused (default none: signatures are not checked)
  HALYARD_TEST_APPLY_DELAY tests only: delay every snapshot apply; refused unless EVALUATOR_ADDR and NATS_URL are loopback
  HALYARD_LOG_LEVEL        debug, info, warn or error (default info)
  HALYARD_DEBUG            set to anything: debug-level logs when HALYARD_LOG_LEVEL is not set
` + httpserve.Help(DefaultHTTP) + "\n" + StreamsHelp + `
Tracing (OpenTelemetry, off unless an endpoint is set; snapshot applies only, never SDK requests):
` + tracing.Help

// FromEnv reads the configuration; call Validate before use. It reports every value it cannot parse.
func FromEnv() (Config, error) {
	c := Config{
		NATS:          natsconn.FromEnv(os.Getenv),
		Addr:          envOr("EVALUATOR_ADDR", ":8081"),
		AdminAddr:     envOr("HALYARD_ADMIN_ADDR", ":9090"),
		Stream:        envOr("HALYARD_STREAM", "HALYARD_SNAPSHOTS"),
		SubjectPrefix: envOr("HALYARD_SUBJECT_PREFIX", "halyard.snapshot"),
		LogFormat:     envOr("HALYARD_LOG_FORMAT", "json"),
		LogLevel:      logging.LevelFromEnv(os.Getenv),
		Tracing:       tracing.FromEnv(os.Getenv),
		SnapshotDir:   os.Getenv("HALYARD_SNAPSHOT_DIR"),
	}
	c.SnapshotPublicKeys = os.Getenv("HALYARD_SNAPSHOT_PUBLIC_KEYS")
	var errs []error
	var err error
	if c.RateLimit, err = strconv.ParseFloat(envOr("HALYARD_RATE_LIMIT", "0"), 64); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_RATE_LIMIT: %q is not a number", os.Getenv("HALYARD_RATE_LIMIT")))
	}
	if c.RateBurst, err = strconv.Atoi(envOr("HALYARD_RATE_BURST", "0")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_RATE_BURST: %q is not a whole number", os.Getenv("HALYARD_RATE_BURST")))
	}
	if c.RateBurst == 0 {
		c.RateBurst = int(math.Ceil(c.RateLimit))
	}
	if c.RateLimitIP, err = strconv.ParseFloat(envOr("HALYARD_RATE_LIMIT_IP", "0"), 64); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_RATE_LIMIT_IP: %q is not a number", os.Getenv("HALYARD_RATE_LIMIT_IP")))
	}
	if c.RateBurstIP, err = strconv.Atoi(envOr("HALYARD_RATE_BURST_IP", "0")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_RATE_BURST_IP: %q is not a whole number", os.Getenv("HALYARD_RATE_BURST_IP")))
	}
	if c.RateBurstIP == 0 {
		c.RateBurstIP = int(math.Ceil(c.RateLimitIP))
	}
	if c.TrustedProxies, err = parseNetworks(os.Getenv("HALYARD_TRUSTED_PROXIES")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_TRUSTED_PROXIES: %w", err))
	}
	if c.MinVersionWait, err = time.ParseDuration(envOr("HALYARD_MIN_VERSION_WAIT", "2s")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_MIN_VERSION_WAIT: %q is not a duration (like 2s)", os.Getenv("HALYARD_MIN_VERSION_WAIT")))
	}
	if c.TestApplyDelay, err = time.ParseDuration(envOr("HALYARD_TEST_APPLY_DELAY", "0s")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_TEST_APPLY_DELAY: %q is not a duration", os.Getenv("HALYARD_TEST_APPLY_DELAY")))
	}
	var streamsErr error
	c.Streams, streamsErr = streamsFromEnv()
	c.HTTP, err = httpserve.ConfigFromEnv(os.Getenv, DefaultHTTP)
	return c, errors.Join(append(errs, err, streamsErr)...)
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
	if c.RateLimitIP < 0 || c.RateBurstIP < 0 {
		errs = append(errs, errors.New("HALYARD_RATE_LIMIT_IP and HALYARD_RATE_BURST_IP must not be negative"))
	}
	if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil && c.AdminAddr != "off" {
		errs = append(errs, errors.New("HALYARD_ADMIN_ADDR must be host:port, :port or off"))
	}
	if c.Stream == "" {
		errs = append(errs, errors.New("HALYARD_STREAM must not be empty"))
	}
	if c.MinVersionWait < 0 || c.MinVersionWait > MaxMinVersionWait {
		errs = append(errs, errors.New("HALYARD_MIN_VERSION_WAIT must be between 0s and 30s"))
	}
	if _, err := c.Verifier(); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_SNAPSHOT_PUBLIC_KEYS: %w", err))
	}
	errs = append(errs, c.Streams.validate()...)
	return errors.Join(append(errs, c.NATS.Validate(), c.HTTP.Validate(), c.validateTestApplyDelay(), c.Tracing.Validate())...)
}

// Redacted returns the configuration with NATS's credentials and the tracing endpoints' user info masked,
// for the start-up log.
func (c Config) Redacted() Config {
	c.NATS = c.NATS.Redacted()
	c.Streams = c.Streams.redacted()
	c.Tracing = c.Tracing.Redacted()
	return c
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseNetworks reads a comma-separated list of CIDR networks; a bare address is a network of one.
func parseNetworks(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil {
				bits := 8 * len(ip.To16())
				if ip.To4() != nil {
					bits = 32
				}
				s += "/" + strconv.Itoa(bits)
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a network (like 10.0.0.0/8)", s)
		}
		out = append(out, n)
	}
	return out, nil
}
