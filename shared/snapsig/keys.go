package snapsig

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// LoadSigner reads a signer's private key from a PEM file holding an Ed25519 key in PKCS #8 ("PRIVATE
// KEY"), as `openssl genpkey -algorithm ed25519` writes it.
func LoadSigner(path string) (*Signer, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the operator names the key file (HALYARD_SIGNING_KEY_FILE)
	if err != nil {
		return nil, fmt.Errorf("snapsig: the signing key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("snapsig: %s holds no PEM PRIVATE KEY block (make one with: openssl genpkey -algorithm ed25519)", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("snapsig: %s: %w", path, err)
	}
	ed, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("snapsig: %s holds a %T, not an Ed25519 key", path, key)
	}
	return NewSigner(ed), nil
}

// ParsePublicKeys reads one or more Ed25519 public keys: PEM blocks ("PUBLIC KEY", what `openssl pkey
// -pubout` writes), or keys separated by commas or white space, each the base64 of such a block's DER body
// (its one line of base64) or of the 32-byte key.
func ParsePublicKeys(s string) (*Verifier, error) {
	var keys []ed25519.PublicKey
	var err error
	if strings.Contains(s, "-----BEGIN") {
		keys, err = pemPublicKeys(s)
	} else {
		keys, err = base64PublicKeys(s)
	}
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("snapsig: no public key")
	}
	return NewVerifier(keys...), nil
}

func pemPublicKeys(s string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for rest := []byte(s); len(strings.TrimSpace(string(rest))) > 0; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil || block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("snapsig: the public keys are not all PEM PUBLIC KEY blocks")
		}
		k, err := parsePublicDER(block.Bytes)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func base64PublicKeys(s string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, field := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		raw, err := base64.StdEncoding.DecodeString(field)
		if err != nil {
			return nil, fmt.Errorf("snapsig: public key %q is not base64", field)
		}
		k := ed25519.PublicKey(raw)
		if len(raw) != ed25519.PublicKeySize {
			if k, err = parsePublicDER(raw); err != nil {
				return nil, err
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func parsePublicDER(der []byte) (ed25519.PublicKey, error) {
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("snapsig: a public key: %w", err)
	}
	ed, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("snapsig: a %T public key, not Ed25519", key)
	}
	return ed, nil
}
