// Package config reads the writer's configuration from the environment into a typed struct with defaults,
// validated separately so a bad setting stops the process before it serves anything.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/logging"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/snapsig"
	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config is the writer's effective configuration.
type Config struct {
	DatabaseURL    string           // DATABASE_URL (TLS: sslmode, sslrootcert, sslcert, sslkey)
	NATS           natsconn.Config  // NATS_URL, NATS_CREDS, NATS_TLS_CA, …
	Addr           string           // WRITER_ADDR
	HTTP           httpserve.Config // HALYARD_HTTP_*_TIMEOUT, HALYARD_LAME_DUCK, HALYARD_SHUTDOWN_TIMEOUT
	AdminToken     string           // HALYARD_ADMIN_TOKEN: the bootstrap admin bearer token
	Stream         string           // HALYARD_STREAM: JetStream stream holding snapshots
	SubjectPrefix  string           // HALYARD_SUBJECT_PREFIX: snapshots go to <prefix>.<environment id>
	StreamReplicas int              // HALYARD_STREAM_REPLICAS
	PollInterval   time.Duration    // HALYARD_OUTBOX_POLL: publisher polling fallback when NOTIFY is missed
	// ReconcileInterval is HALYARD_RECONCILE_INTERVAL: how often the stream is checked against PostgreSQL.
	ReconcileInterval time.Duration
	LogFormat         string // HALYARD_LOG_FORMAT: json or console
	LogLevel          string // HALYARD_LOG_LEVEL: debug, info, warn or error (HALYARD_DEBUG: debug)
	// AdminAddr is HALYARD_ADMIN_ADDR: the admin listener serving /metrics and /status ("" or "off": none).
	AdminAddr string
	// OutboxStuckAfter is HALYARD_OUTBOX_STUCK_AFTER: /status says degraded once the oldest pending outbox
	// row is older than this.
	OutboxStuckAfter time.Duration
	// EvaluatorURL is HALYARD_EVALUATOR_URL: where SDKs reach an evaluator, filled into the admin UI's snippets.
	EvaluatorURL string
	// Tracing is HALYARD_TRACING and the standard OTEL_* variables: off unless an OTLP endpoint is set.
	Tracing tracing.Config
	// SigningKeyFile is HALYARD_SIGNING_KEY_FILE: the Ed25519 private key (PKCS #8 PEM) every snapshot is
	// signed with ("": snapshots go unsigned; ADR 0017).
	SigningKeyFile string
	// RequestTimeout is HALYARD_REQUEST_TIMEOUT: how long an admin call may take before it answers 503
	// (imports and cohort uploads: HALYARD_HTTP_WRITE_TIMEOUT instead). 0: httpapi.DefaultRequestTimeout.
	RequestTimeout time.Duration
	// TestPauseAt is HALYARD_TEST_PAUSE_AT: for fault tests only, the publisher stops for good at this step
	// of commit → publish → mark (TestPauseSteps) and logs it, so that the test can kill the writer there;
	// refused unless WRITER_ADDR and NATS_URL are on loopback (testpause.go).
	TestPauseAt string
}

// AdminOff is the HALYARD_ADMIN_ADDR that disables the admin listener.
const AdminOff = "off"

// DefaultHTTP is the writer's HTTP configuration: imports and cohort uploads take up to 64 MiB, so reading
// a request and answering it may take minutes on a slow link.
var DefaultHTTP = httpserve.Config{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
	WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, LameDuck: 5 * time.Second, ShutdownTimeout: 10 * time.Second}

// Help documents every variable, for -h.
var Help = `Environment:
  DATABASE_URL             PostgreSQL URL (required; pool_max_conns=N sets the pool size, default 20;
                           TLS: sslmode=verify-full&sslrootcert=<CA file>, sslcert=, sslkey= for a client certificate)
` + natsconn.Help + `
  WRITER_ADDR              listen address (default :8080)
  HALYARD_ADMIN_TOKEN      bootstrap admin bearer token (required, >= 16 characters)
  HALYARD_STREAM           JetStream stream for snapshots (default HALYARD_SNAPSHOTS)
  HALYARD_SUBJECT_PREFIX   snapshot subject prefix (default halyard.snapshot)
  HALYARD_STREAM_REPLICAS  stream replicas, 1 or 3 for a NATS cluster (default 1)
  HALYARD_OUTBOX_POLL      outbox polling fallback interval (default 1s)
  HALYARD_RECONCILE_INTERVAL  how often the stream is checked against PostgreSQL and repaired (default 1m)
  HALYARD_SIGNING_KEY_FILE an Ed25519 private key (PEM, openssl genpkey -algorithm ed25519) to sign every
                           snapshot with, for evaluators given its public key (default none: unsigned)
  HALYARD_ADMIN_ADDR       admin listener for /metrics and /status (default :9090; off disables it)
  HALYARD_REQUEST_TIMEOUT  how long an admin call may take before it answers 503, e.g. while PostgreSQL does
                           not answer (default 10s; imports and cohort uploads: HALYARD_HTTP_WRITE_TIMEOUT)
  HALYARD_OUTBOX_STUCK_AFTER
                           /status says degraded once a change has waited this long to be published
                           (default 30s)
  HALYARD_LOG_FORMAT       json or console (default json)
  HALYARD_LOG_LEVEL        debug, info, warn or error (default info)
  HALYARD_DEBUG            set to anything: debug-level logs when HALYARD_LOG_LEVEL is not set
  HALYARD_EVALUATOR_URL    evaluators' URL as SDKs reach it, filled into the admin UI's SDK snippets (default none)
  HALYARD_TEST_PAUSE_AT    tests only: stop publishing for good at after-commit, after-puback or after-mark;
                           refused unless WRITER_ADDR and NATS_URL are loopback
` + httpserve.Help(DefaultHTTP) + `
Tracing (OpenTelemetry, off unless an endpoint is set):
` + tracing.Help

// FromEnv reads the configuration; call Validate before use. It reports every value it cannot parse.
func FromEnv() (Config, error) {
	c := Config{
		DatabaseURL:   os.Getenv("DATABASE_URL"),
		NATS:          natsconn.FromEnv(os.Getenv),
		Addr:          envOr("WRITER_ADDR", ":8080"),
		AdminToken:    os.Getenv("HALYARD_ADMIN_TOKEN"),
		Stream:        envOr("HALYARD_STREAM", "HALYARD_SNAPSHOTS"),
		SubjectPrefix: envOr("HALYARD_SUBJECT_PREFIX", "halyard.snapshot"),
		LogFormat:     envOr("HALYARD_LOG_FORMAT", "json"),
		LogLevel:      logging.LevelFromEnv(os.Getenv),
		AdminAddr:     envOr("HALYARD_ADMIN_ADDR", ":9090"),
		EvaluatorURL:  os.Getenv("HALYARD_EVALUATOR_URL"),
		Tracing:       tracing.FromEnv(os.Getenv),
		TestPauseAt:   os.Getenv("HALYARD_TEST_PAUSE_AT"),
	}
	c.SigningKeyFile = os.Getenv("HALYARD_SIGNING_KEY_FILE")
	var errs []error
	var err error
	if c.StreamReplicas, err = strconv.Atoi(envOr("HALYARD_STREAM_REPLICAS", "1")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_STREAM_REPLICAS: %q is not a number", os.Getenv("HALYARD_STREAM_REPLICAS")))
	}
	if c.PollInterval, err = time.ParseDuration(envOr("HALYARD_OUTBOX_POLL", "1s")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_OUTBOX_POLL: %q is not a duration (like 1s or 250ms)", os.Getenv("HALYARD_OUTBOX_POLL")))
	}
	if c.ReconcileInterval, err = time.ParseDuration(envOr("HALYARD_RECONCILE_INTERVAL", "1m")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_RECONCILE_INTERVAL: %q is not a duration (like 1m)", os.Getenv("HALYARD_RECONCILE_INTERVAL")))
	}
	if c.OutboxStuckAfter, err = time.ParseDuration(envOr("HALYARD_OUTBOX_STUCK_AFTER", "30s")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_OUTBOX_STUCK_AFTER: %q is not a duration (like 30s)", os.Getenv("HALYARD_OUTBOX_STUCK_AFTER")))
	}
	if c.RequestTimeout, err = time.ParseDuration(envOr("HALYARD_REQUEST_TIMEOUT", "10s")); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_REQUEST_TIMEOUT: %q is not a duration (like 10s)", os.Getenv("HALYARD_REQUEST_TIMEOUT")))
	}
	c.HTTP, err = httpserve.ConfigFromEnv(os.Getenv, DefaultHTTP)
	return c, errors.Join(append(errs, err)...)
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	} else if _, err := pgxpool.ParseConfig(c.DatabaseURL); err != nil {
		errs = append(errs, fmt.Errorf("DATABASE_URL: %s", withoutConnString(err)))
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
	if c.ReconcileInterval != 0 && c.ReconcileInterval < 100*time.Millisecond { // 0: the default
		errs = append(errs, errors.New("HALYARD_RECONCILE_INTERVAL must be at least 100ms"))
	}
	if c.RequestTimeout != 0 && c.RequestTimeout < 100*time.Millisecond { // 0: the default
		errs = append(errs, errors.New("HALYARD_REQUEST_TIMEOUT must be at least 100ms"))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, errors.New("HALYARD_LOG_FORMAT must be json or console"))
	}
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, errors.New("HALYARD_LOG_LEVEL must be debug, info, warn or error"))
	}
	if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil && c.AdminAddr != AdminOff {
		errs = append(errs, errors.New("HALYARD_ADMIN_ADDR must be host:port, :port or off"))
	}
	if c.OutboxStuckAfter <= 0 {
		errs = append(errs, errors.New("HALYARD_OUTBOX_STUCK_AFTER must be positive"))
	}
	if u, err := url.Parse(c.EvaluatorURL); c.EvaluatorURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, errors.New("HALYARD_EVALUATOR_URL must be an http or https URL"))
	}
	if _, err := c.Signer(); err != nil {
		errs = append(errs, fmt.Errorf("HALYARD_SIGNING_KEY_FILE: %w", err))
	}
	if strings.ContainsAny(c.SubjectPrefix, " *>") || c.SubjectPrefix == "" {
		errs = append(errs, errors.New("HALYARD_SUBJECT_PREFIX must be a plain subject"))
	}
	return errors.Join(append(errs, c.NATS.Validate(), c.HTTP.Validate(), c.Tracing.Validate(), c.validateTestPauseAt())...)
}

// Signer loads the snapshot signing key (nil when HALYARD_SIGNING_KEY_FILE is not set).
func (c Config) Signer() (*snapsig.Signer, error) {
	if c.SigningKeyFile == "" {
		return nil, nil
	}
	return snapsig.LoadSigner(c.SigningKeyFile)
}

// connString matches the connection string pgx quotes at the start of its parse errors (password masked).
var connString = regexp.MustCompile("^cannot parse `.*`: ")

// withoutConnString is a pgx parse error without the connection string: the variable's name says which, and
// a password pgx did not recognize as one must not reach the terminal.
func withoutConnString(err error) string {
	return connString.ReplaceAllString(err.Error(), "")
}

// Redacted returns the configuration with secrets masked, for the start-up log: the admin token, the
// database password (of a URL or a key=value DSN), NATS's credentials and the tracing endpoints' user info.
func (c Config) Redacted() Config {
	c.AdminToken = "[redacted]"
	c.DatabaseURL = logging.RedactPostgres(c.DatabaseURL)
	c.NATS = c.NATS.Redacted()
	c.Tracing = c.Tracing.Redacted()
	return c
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
