package natsconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Validate reports every problem at once: more than one credential, half of a pair, a file that cannot be
// read or does not hold what it should.
func (c Config) Validate() error {
	var errs []error
	if kinds := c.credentials(); len(kinds) > 1 {
		errs = append(errs, fmt.Errorf("NATS credentials: set only one of %s", strings.Join(kinds, ", ")))
	}
	if c.Password != "" && c.User == "" {
		errs = append(errs, errors.New("NATS_PASSWORD needs NATS_USER"))
	}
	if c.User != "" && c.Password == "" {
		errs = append(errs, errors.New("NATS_USER needs NATS_PASSWORD"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("NATS_TLS_CERT and NATS_TLS_KEY go together"))
	}
	for _, f := range []struct{ env, path string }{{"NATS_CREDS", c.Creds}, {"NATS_NKEY_SEED_FILE", c.NKeySeedFile},
		{"NATS_TLS_CA", c.TLSCA}, {"NATS_TLS_CERT", c.TLSCert}, {"NATS_TLS_KEY", c.TLSKey}} {
		if f.path == "" {
			continue
		}
		if _, err := os.ReadFile(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.env, unwrapPath(err)))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, c.checkContents())
	}
	return errors.Join(errs...)
}

// credentials names the kinds of credential set.
func (c Config) credentials() []string {
	var kinds []string
	if urlHasUserInfo(c.URL) {
		kinds = append(kinds, "credentials in NATS_URL")
	}
	if c.User != "" || c.Password != "" {
		kinds = append(kinds, "NATS_USER/NATS_PASSWORD")
	}
	if c.Creds != "" {
		kinds = append(kinds, "NATS_CREDS")
	}
	if c.NKeySeedFile != "" {
		kinds = append(kinds, "NATS_NKEY_SEED_FILE")
	}
	return kinds
}

// urlHasUserInfo says whether any URL of the list carries user info: an @ before its query.
func urlHasUserInfo(list string) bool {
	for _, u := range strings.Split(list, ",") {
		if i := strings.Index(u, "://"); i >= 0 {
			u = u[i+3:]
		}
		if q := strings.IndexByte(u, '?'); q >= 0 {
			u = u[:q]
		}
		if strings.Contains(u, "@") {
			return true
		}
	}
	return false
}

// checkContents parses every file that could be read: the CA certificates, the client key pair, the nkey
// seed and the credentials file.
func (c Config) checkContents() error {
	var errs []error
	if c.TLSCA != "" {
		pem, _ := os.ReadFile(c.TLSCA)
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			errs = append(errs, fmt.Errorf("NATS_TLS_CA: no PEM certificate in %s", c.TLSCA))
		}
	}
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			errs = append(errs, fmt.Errorf("NATS_TLS_CERT and NATS_TLS_KEY: %w", err))
		}
	}
	if c.NKeySeedFile != "" {
		if _, err := nats.NkeyOptionFromSeed(c.NKeySeedFile); err != nil {
			errs = append(errs, fmt.Errorf("NATS_NKEY_SEED_FILE: %s: %w", c.NKeySeedFile, err))
		}
	}
	if c.Creds != "" {
		errs = append(errs, checkCreds(c.Creds))
	}
	return errors.Join(errs...)
}

// checkCreds checks that a credentials file holds a user JWT and a user nkey seed, as nsc writes them.
func checkCreds(path string) error {
	b, _ := os.ReadFile(path) // #nosec G304 -- the operator names this file (NATS_CREDS)
	if token, err := nkeys.ParseDecoratedJWT(b); err != nil || strings.Count(token, ".") != 2 {
		return fmt.Errorf("NATS_CREDS: %s does not hold a user JWT", path)
	}
	kp, err := nkeys.ParseDecoratedUserNKey(b)
	if err != nil {
		return fmt.Errorf("NATS_CREDS: %s does not hold a user nkey seed: %w", path, err)
	}
	kp.Wipe()
	return nil
}

// unwrapPath rewords an *os.PathError ("open <path>: <reason>") to follow the variable's name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("cannot read %s: %w", pe.Path, pe.Err)
	}
	return err
}
