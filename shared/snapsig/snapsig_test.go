package snapsig

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newKey(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

// signedMessage is a message as the writer sends it: its identifying headers, then the signature.
func signedMessage(s *Signer) (string, map[string][]string, []byte) {
	h := map[string][]string{"Halyard-Version": {"7"}, "Halyard-Environment": {"3"}, "Nats-Msg-Id": {"env-3-v7"}}
	body := []byte("the snapshot")
	s.Sign("halyard.snapshot.3", h, body)
	return "halyard.snapshot.3", h, body
}

func TestVerify(t *testing.T) {
	key, other := newKey(t), newKey(t)
	signer := NewSigner(key)
	v := NewVerifier(key.Public().(ed25519.PublicKey))
	for _, tc := range []struct {
		name   string
		change func(subject *string, h map[string][]string, body *[]byte)
		want   error
	}{
		{"as signed", func(*string, map[string][]string, *[]byte) {}, nil},
		{"a header outside Halyard's changed", func(_ *string, h map[string][]string, _ *[]byte) { h["Nats-Msg-Id"] = []string{"x"} }, nil},
		{"unsigned", func(_ *string, h map[string][]string, _ *[]byte) { delete(h, HeaderSignature) }, ErrUnsigned},
		{"another body", func(_ *string, _ map[string][]string, b *[]byte) { *b = []byte("a forged snapshot") }, ErrDigest},
		{"another version", func(_ *string, h map[string][]string, _ *[]byte) { h["Halyard-Version"] = []string{"8"} }, ErrSignature},
		{"a second version header", func(_ *string, h map[string][]string, _ *[]byte) { h["halyard-version"] = []string{"8"} }, ErrSignature},
		{"a Halyard header added", func(_ *string, h map[string][]string, _ *[]byte) { h["Halyard-Encoding"] = []string{"zstd"} }, ErrSignature},
		{"another subject", func(s *string, _ map[string][]string, _ *[]byte) { *s = "halyard.snapshot.4" }, ErrSignature},
		{"another digest", func(_ *string, h map[string][]string, b *[]byte) {
			*b = []byte("a forged snapshot")
			h[HeaderDigest] = []string{digest(*b)}
		}, ErrSignature},
		{"signature not base64", func(_ *string, h map[string][]string, _ *[]byte) { h[HeaderSignature] = []string{"!"} }, ErrSignature},
		{"signed with another key", func(s *string, h map[string][]string, b *[]byte) { NewSigner(other).Sign(*s, h, *b) }, ErrUnknownKey},
		{"another key's signature under this key's id", func(s *string, h map[string][]string, b *[]byte) {
			NewSigner(other).Sign(*s, h, *b)
			h[HeaderKeyID] = []string{signer.KeyID()}
		}, ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			subject, h, body := signedMessage(signer)
			tc.change(&subject, h, &body)
			if err := v.Verify(subject, h, body); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestVerifyHeaders: a reader of headers only checks everything but the body.
func TestVerifyHeaders(t *testing.T) {
	signer := NewSigner(newKey(t))
	v := NewVerifier(signer.Public())
	subject, h, _ := signedMessage(signer)
	if err := v.VerifyHeaders(subject, h); err != nil {
		t.Errorf("VerifyHeaders = %v", err)
	}
	forged := maps.Clone(h)
	forged["Halyard-Version"] = []string{"9"}
	if err := v.VerifyHeaders(subject, forged); !errors.Is(err, ErrSignature) {
		t.Errorf("VerifyHeaders of a changed version = %v, want %v", err, ErrSignature)
	}
}

// TestRotation: a verifier of two keys accepts either's signatures; one of the new key only refuses the
// old key's.
func TestRotation(t *testing.T) {
	oldKey, newKey := NewSigner(newKey(t)), NewSigner(newKey(t))
	both, next := NewVerifier(oldKey.Public(), newKey.Public()), NewVerifier(newKey.Public())
	for _, tc := range []struct {
		name     string
		signer   *Signer
		verifier *Verifier
		want     error
	}{
		{"old key, both accepted", oldKey, both, nil},
		{"new key, both accepted", newKey, both, nil},
		{"old key, old one removed", oldKey, next, ErrUnknownKey},
		{"new key, old one removed", newKey, next, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			subject, h, body := signedMessage(tc.signer)
			if err := tc.verifier.Verify(subject, h, body); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParsePublicKeys(t *testing.T) {
	a, b := newKey(t).Public().(ed25519.PublicKey), newKey(t).Public().(ed25519.PublicKey)
	derA, derB := pkix(t, a), pkix(t, b)
	pemOf := func(der []byte) string { return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})) }
	b64 := base64.StdEncoding.EncodeToString
	for _, tc := range []struct {
		name, in string
		want     []string // key ids; nil: an error
	}{
		{"one PEM block", pemOf(derA), []string{KeyID(a)}},
		{"two PEM blocks", pemOf(derA) + "\n" + pemOf(derB), sorted(KeyID(a), KeyID(b))},
		{"the PEM body's base64", b64(derA), []string{KeyID(a)}},
		{"raw keys, comma-separated", b64(a) + ", " + b64(b), sorted(KeyID(a), KeyID(b))},
		{"mixed, space-separated", b64(derA) + " " + b64(b), sorted(KeyID(a), KeyID(b))},
		{"empty", " ", nil},
		{"not base64", "not-a-key!", nil},
		{"a short key", b64(a[:16]), nil},
		{"a private key's PEM", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: derA})), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParsePublicKeys(tc.in)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("ParsePublicKeys accepted it: %v", v.KeyIDs())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, v.KeyIDs()); diff != "" {
				t.Errorf("key ids mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadSigner(t *testing.T) {
	key := newKey(t)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "signing.pem")
	writeFile(t, good, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	s, err := LoadSigner(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != KeyID(key.Public().(ed25519.PublicKey)) {
		t.Errorf("key id %s, want the key's", s.KeyID())
	}
	for name, data := range map[string][]byte{
		"public.pem": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix(t, s.Public())}),
		"empty.pem":  nil,
		"bad.pem":    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("nope")}),
	} {
		path := filepath.Join(dir, name)
		writeFile(t, path, data)
		if _, err := LoadSigner(path); err == nil {
			t.Errorf("LoadSigner(%s) accepted it", name)
		}
	}
	if _, err := LoadSigner(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("LoadSigner of a missing file succeeded")
	}
}

func pkix(tb testing.TB, k ed25519.PublicKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func writeFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func sorted(ids ...string) []string {
	if ids[0] > ids[1] {
		ids[0], ids[1] = ids[1], ids[0]
	}
	return ids
}

func BenchmarkSignVerify(b *testing.B) {
	signer := NewSigner(newKey(b))
	v := NewVerifier(signer.Public())
	body := make([]byte, 1<<20)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		h := map[string][]string{"Halyard-Version": {"7"}, "Halyard-Environment": {"3"}}
		signer.Sign("halyard.snapshot.3", h, body)
		if err := v.Verify("halyard.snapshot.3", h, body); err != nil {
			b.Fatal(err)
		}
	}
}
