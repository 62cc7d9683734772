// Package natsconn is how both Halyard services connect to NATS: the configuration (NATS_URL, a credential
// of one kind, TLS files) read from the environment, validated at start and redacted for the log; the
// nats.go options it becomes (Options); and a connection that retries while NATS cannot be reached, fails
// at once when NATS refuses the credential or the certificate, and drains completely at shutdown (Conn).
package natsconn

import (
	"github.com/halyard-flags/halyard/shared/logging"
)

// Config says where NATS is and how to authenticate. At most one credential: the user info of NATS_URL
// (user:password@ or token@), NATS_USER and NATS_PASSWORD, a credentials file (JWT and seed, NATS_CREDS) or
// an nkey seed file. TLS is used when NATS_URL says tls:// or any NATS_TLS_* file is set.
type Config struct {
	URL          string // NATS_URL: one server or a comma-separated list
	Creds        string // NATS_CREDS: a .creds file (user JWT and nkey seed)
	NKeySeedFile string // NATS_NKEY_SEED_FILE: an nkey user seed (SU…)
	User         string // NATS_USER
	Password     string // NATS_PASSWORD
	TLSCA        string // NATS_TLS_CA: PEM certificates to verify the server with (default: the system's)
	TLSCert      string // NATS_TLS_CERT: PEM client certificate, for servers that verify clients
	TLSKey       string // NATS_TLS_KEY: its private key
}

// DefaultURL is NATS_URL's default.
const DefaultURL = "nats://127.0.0.1:4222"

// Help documents the variables, in the layout of the services' -h.
const Help = `  NATS_URL                 NATS URL or comma-separated URLs; may carry user:password@ or token@ (default ` + DefaultURL + `)
  NATS_USER, NATS_PASSWORD NATS user and password
  NATS_CREDS               NATS credentials file (user JWT and nkey seed)
  NATS_NKEY_SEED_FILE      NATS nkey user seed file
  NATS_TLS_CA              PEM CA certificates to verify the NATS server with (default: the system's)
  NATS_TLS_CERT            PEM client certificate for NATS (with NATS_TLS_KEY)
  NATS_TLS_KEY             its private key`

// FromEnv reads the variables through getenv.
func FromEnv(getenv func(string) string) Config {
	c := Config{
		URL: getenv("NATS_URL"), Creds: getenv("NATS_CREDS"), NKeySeedFile: getenv("NATS_NKEY_SEED_FILE"),
		User: getenv("NATS_USER"), Password: getenv("NATS_PASSWORD"),
		TLSCA: getenv("NATS_TLS_CA"), TLSCert: getenv("NATS_TLS_CERT"), TLSKey: getenv("NATS_TLS_KEY"),
	}
	if c.URL == "" {
		c.URL = DefaultURL
	}
	return c
}

// Redacted returns the configuration with its secrets masked, for the start-up log: the credentials in
// NATS_URL and the password. File paths are not secret and stay.
func (c Config) Redacted() Config {
	c.URL = logging.RedactNATS(c.URL)
	if c.Password != "" {
		c.Password = "[redacted]"
	}
	return c
}
