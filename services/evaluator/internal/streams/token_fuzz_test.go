package streams

import (
	"testing"
	"time"
)

// FuzzTokenVerify: no string but one the signer issued verifies. A forger's best tries are the genuine
// token with one part changed; the fuzzer starts from it.
func FuzzTokenVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	s := signerAt("a-secret-of-at-least-thirty-two-chars", time.Hour, now)
	good := s.Sign(42, now.Add(time.Minute).Unix())
	for _, seed := range []string{good, "", ".", "..", "42.1800000060.", "42.1800000060." + good, "-1.-1.x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		env, err := s.Verify(token)
		if err != nil {
			return
		}
		if token != good || env != 42 {
			t.Fatalf("Verify(%q) = %d: a token the signer never issued", token, env)
		}
	})
}
