// Package snapsig signs snapshot messages and verifies their signatures (Ed25519; ADR 0017), so that a
// party who can publish to NATS still cannot change a flag: the writer signs every snapshot and the
// catalog with its private key, and evaluators configured with public keys refuse any message none of
// them signed.
//
// A signature covers the message's subject, its body (through the Halyard-Digest header) and every
// Halyard-* header, the key id included, so that a message's identifying headers (environment, version)
// cannot be changed under it, and a header-only reader (the writer's reconciler) can check a signature
// without the body.
package snapsig

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The headers a signed message carries.
const (
	HeaderSignature = "Halyard-Signature" // base64 of the Ed25519 signature
	HeaderKeyID     = "Halyard-Key-Id"    // KeyID of the public key that verifies it
	HeaderDigest    = "Halyard-Digest"    // SHA-256=<base64 of the body's SHA-256>
)

// Why a message's signature is refused.
var (
	ErrUnsigned   = errors.New("snapsig: the message is not signed")
	ErrUnknownKey = errors.New("snapsig: signed with a key that is not accepted")
	ErrSignature  = errors.New("snapsig: the signature does not verify")
	ErrDigest     = errors.New("snapsig: the body does not match its signed digest")
)

// KeyID names a public key in HeaderKeyID: the first 8 bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Signer signs messages with one private key.
type Signer struct {
	key ed25519.PrivateKey
	id  string
}

// NewSigner returns a signer with key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	return &Signer{key: key, id: KeyID(key.Public().(ed25519.PublicKey))}
}

// KeyID is the id of the signer's public key.
func (s *Signer) KeyID() string { return s.id }

// Public is the signer's public key.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Sign sets the digest of body, the key id and the signature on the headers of a message to subject. It
// replaces any the headers held; every other Halyard-* header must be set before.
func (s *Signer) Sign(subject string, h map[string][]string, body []byte) {
	delete(h, HeaderSignature)
	h[HeaderDigest] = []string{digest(body)}
	h[HeaderKeyID] = []string{s.id}
	sig := ed25519.Sign(s.key, signed(subject, h))
	h[HeaderSignature] = []string{base64.StdEncoding.EncodeToString(sig)}
}

// Verifier checks signatures against a set of accepted public keys (more than one during a rotation).
type Verifier struct {
	keys map[string]ed25519.PublicKey // by KeyID
}

// NewVerifier accepts signatures made with any of keys.
func NewVerifier(keys ...ed25519.PublicKey) *Verifier {
	v := &Verifier{keys: map[string]ed25519.PublicKey{}}
	for _, k := range keys {
		v.keys[KeyID(k)] = k
	}
	return v
}

// KeyIDs lists the accepted keys' ids, sorted.
func (v *Verifier) KeyIDs() []string {
	ids := make([]string, 0, len(v.keys))
	for id := range v.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Verify checks that an accepted key signed the message: its subject, its Halyard-* headers and its body.
func (v *Verifier) Verify(subject string, h map[string][]string, body []byte) error {
	if err := v.VerifyHeaders(subject, h); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(first(h, HeaderDigest)), []byte(digest(body))) != 1 {
		return ErrDigest
	}
	return nil
}

// VerifyHeaders checks that an accepted key signed the message's subject and Halyard-* headers, the body's
// digest among them; the body itself is not checked (a reader of headers only has none).
func (v *Verifier) VerifyHeaders(subject string, h map[string][]string) error {
	sig64, id := first(h, HeaderSignature), first(h, HeaderKeyID)
	if sig64 == "" {
		return ErrUnsigned
	}
	key, ok := v.keys[id]
	if !ok {
		return fmt.Errorf("%w (key id %q)", ErrUnknownKey, id)
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil || !ed25519.Verify(key, signed(subject, h), sig) {
		return ErrSignature
	}
	return nil
}

// signed is what a signature covers: a version tag, the subject, then every Halyard-* header but the
// signature, one line per value, under its lower-cased name and sorted by it (NATS headers cannot hold a
// line break, so the lines are unambiguous).
func signed(subject string, h map[string][]string) []byte {
	var names []string
	for name := range h {
		if l := strings.ToLower(name); strings.HasPrefix(l, "halyard-") && l != strings.ToLower(HeaderSignature) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	var b strings.Builder
	b.WriteString("halyard-snapshot-signature/1\nsubject:" + subject + "\n")
	for _, name := range names {
		for _, value := range h[name] {
			b.WriteString(strings.ToLower(name) + ":" + value + "\n")
		}
	}
	return []byte(b.String())
}

func digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

func first(h map[string][]string, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
