package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSigningKeyFile: a PKCS #8 Ed25519 key signs; a missing or unusable file stops the writer at start.
func TestSigningKeyFile(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "signing.pem"), filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := valid()
	if s, err := c.Signer(); s != nil || err != nil || c.Validate() != nil {
		t.Errorf("without a key file: Signer = %v, %v; Validate = %v", s, err, c.Validate())
	}
	c.SigningKeyFile = good
	if s, err := c.Signer(); s == nil || err != nil || c.Validate() != nil {
		t.Errorf("with %s: Signer = %v, %v; Validate = %v", good, s, err, c.Validate())
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.pem")} {
		c.SigningKeyFile = path
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "HALYARD_SIGNING_KEY_FILE") {
			t.Errorf("with %s: Validate = %v, want a HALYARD_SIGNING_KEY_FILE error", path, err)
		}
	}
}
