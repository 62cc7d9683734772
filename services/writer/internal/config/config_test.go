package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/tracing"
)

func TestFromEnvDefaultsAndValidate(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://u:secret@db/halyard")
	t.Setenv("HALYARD_ADMIN_TOKEN", "0123456789abcdef")
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Stream != "HALYARD_SNAPSHOTS" || c.StreamReplicas != 1 || c.PollInterval != time.Second ||
		c.NATS.URL != natsconn.DefaultURL || c.HTTP != DefaultHTTP || c.AdminAddr != ":9090" ||
		c.OutboxStuckAfter != 30*time.Second || c.Tracing.Enabled() || c.RequestTimeout != 10*time.Second {
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
	c := Config{AdminToken: "short", StreamReplicas: 2, PollInterval: time.Millisecond, LogFormat: "xml", SubjectPrefix: "a.>",
		AdminAddr: "9090", OutboxStuckAfter: -time.Second, EvaluatorURL: "flags.example.com", RequestTimeout: time.Millisecond}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	for _, want := range []string{"DATABASE_URL", "HALYARD_ADMIN_TOKEN", "HALYARD_STREAM_REPLICAS", "HALYARD_OUTBOX_POLL", "HALYARD_LOG_FORMAT", "HALYARD_LOG_LEVEL", "HALYARD_SUBJECT_PREFIX",
		"HALYARD_ADMIN_ADDR", "HALYARD_OUTBOX_STUCK_AFTER", "HALYARD_EVALUATOR_URL", "HALYARD_REQUEST_TIMEOUT"} {
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
			Config{DatabaseURL: "postgres://db/halyard", NATS: natsconn.Config{URL: "nats://127.0.0.1:4222"}, AdminToken: "0123456789abcdef"},
			Config{DatabaseURL: "postgres://db/halyard", NATS: natsconn.Config{URL: "nats://127.0.0.1:4222"}, AdminToken: "[redacted]"}},
		{"database URL password",
			Config{DatabaseURL: "postgres://halyard:s3cret@db:5432/halyard?sslmode=require"},
			Config{DatabaseURL: "postgres://halyard:redacted@db:5432/halyard?sslmode=require", AdminToken: "[redacted]"}},
		{"database DSN password",
			Config{DatabaseURL: "host=db user=halyard password='s3 cret' dbname=halyard"},
			Config{DatabaseURL: "host=db user=halyard password=redacted dbname=halyard", AdminToken: "[redacted]"}},
		{"NATS user and password",
			Config{NATS: natsconn.Config{URL: "nats://halyard:s3cret@nats:4222"}},
			Config{NATS: natsconn.Config{URL: "nats://halyard:redacted@nats:4222"}, AdminToken: "[redacted]"}},
		{"NATS token",
			Config{NATS: natsconn.Config{URL: "nats://s3cret@nats:4222"}},
			Config{NATS: natsconn.Config{URL: "nats://redacted@nats:4222"}, AdminToken: "[redacted]"}},
		{"every URL of a NATS list",
			Config{NATS: natsconn.Config{URL: "nats://u:a@n1:4222,nats://n2:4222,nats://t0ken@n3:4222"}},
			Config{NATS: natsconn.Config{URL: "nats://u:redacted@n1:4222,nats://n2:4222,nats://redacted@n3:4222"}, AdminToken: "[redacted]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.in.Redacted()); diff != "" {
				t.Errorf("Redacted() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromEnvReportsEveryValue: every value that does not parse is named, not only the first.
func TestFromEnvReportsEveryValue(t *testing.T) {
	t.Setenv("HALYARD_STREAM_REPLICAS", "three")
	t.Setenv("HALYARD_OUTBOX_POLL", "1")
	t.Setenv("HALYARD_LAME_DUCK", "forever")
	_, err := FromEnv()
	want := `HALYARD_STREAM_REPLICAS: "three" is not a number` + "\n" +
		`HALYARD_OUTBOX_POLL: "1" is not a duration (like 1s or 250ms)` + "\n" +
		`HALYARD_LAME_DUCK: "forever" is not a duration (like 5s or 250ms)`
	if err == nil {
		t.Fatal("FromEnv accepted values that do not parse")
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("FromEnv error mismatch (-want +got):\n%s", diff)
	}
}

// TestValidateDatabaseTLS: a DATABASE_URL asking to verify PostgreSQL's certificate against a CA file that
// is not there is refused at start, naming the file and not the password.
func TestValidateDatabaseTLS(t *testing.T) {
	for _, tc := range []struct {
		name, url, want string
	}{
		{"URL", "postgres://halyard:pg-s3cret@db:5432/halyard?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
			"DATABASE_URL: failed to configure TLS (unable to read CA file: open /nonexistent/ca.pem: no such file or directory)"},
		{"DSN", "host=db user=halyard password=pg-s3cret sslmode=verify-full sslrootcert=/nonexistent/ca.pem",
			"DATABASE_URL: failed to configure TLS (unable to read CA file: open /nonexistent/ca.pem: no such file or directory)"},
		{"unknown sslmode", "postgres://halyard:pg-s3cret@db/halyard?sslmode=sometimes",
			"DATABASE_URL: failed to configure TLS (sslmode is invalid)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			c.DatabaseURL = tc.url
			if diff := cmp.Diff(tc.want, errString(c.Validate())); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
		})
	}
	c := valid()
	c.DatabaseURL = "postgres://halyard:pg-s3cret@db:5432/halyard?sslmode=verify-full&sslrootcert=" + writeCA(t)
	if err := c.Validate(); err != nil {
		t.Errorf("Validate with a readable CA file: %v", err)
	}
}

// TestValidateIncludesNATSAndHTTP: NATS's, the HTTP server's and tracing's settings are validated with the
// rest.
func TestValidateIncludesNATSAndHTTP(t *testing.T) {
	c := valid()
	c.NATS.User = "halyard"
	c.HTTP.WriteTimeout = 0
	c.Tracing = tracing.Config{Endpoint: "http://collector:4318", Sampler: "sometimes"}
	want := "NATS_USER needs NATS_PASSWORD\nHALYARD_HTTP_WRITE_TIMEOUT must be positive\n" +
		`OTEL_TRACES_SAMPLER: "sometimes" is not one of always_on, always_off, traceidratio, parentbased_always_on, ` +
		"parentbased_always_off, parentbased_traceidratio"
	if diff := cmp.Diff(want, errString(c.Validate())); diff != "" {
		t.Errorf("Validate mismatch (-want +got):\n%s", diff)
	}
}

func valid() Config {
	return Config{DatabaseURL: "postgres://db/halyard", NATS: natsconn.Config{URL: natsconn.DefaultURL},
		HTTP: DefaultHTTP, AdminToken: "0123456789abcdef", Stream: "S", SubjectPrefix: "halyard.snapshot",
		StreamReplicas: 1, PollInterval: time.Second, LogFormat: "json", LogLevel: "info", AdminAddr: ":9090",
		OutboxStuckAfter: 30 * time.Second}
}

// writeCA writes a file pgx accepts as a CA bundle (a certificate it parses).
func writeCA(tb testing.TB) string {
	tb.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
