package streams

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func signerAt(secret string, ttl time.Duration, now time.Time) *Signer {
	s := NewSigner([]byte(secret), ttl)
	s.now = func() time.Time { return now }
	return s
}

func TestTokenVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := signerAt("a-secret-of-at-least-thirty-two-chars", time.Hour, now)
	good := s.Sign(42, now.Add(time.Minute).Unix())
	other := signerAt("another-secret-of-thirty-two-chars!!", time.Hour, now)
	mac := good[strings.LastIndexByte(good, '.')+1:]
	for _, tc := range []struct {
		name, token string
		wantEnv     int64
		wantErr     error
	}{
		{"genuine", good, 42, nil},
		{"expired", s.Sign(42, now.Unix()), 0, ErrTokenExpired},
		{"another environment's claim with this MAC", "43." + strings.TrimPrefix(good, "42."), 0, ErrTokenForged},
		{"a later expiry with this MAC", "42." + "1900000000." + mac, 0, ErrTokenForged},
		{"signed with another key", other.Sign(42, now.Add(time.Minute).Unix()), 0, ErrTokenForged},
		{"MAC flipped", good[:len(good)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(good, "A")], 0, ErrTokenForged},
		{"empty", "", 0, ErrTokenMalformed},
		{"an SDK key", "phc_abcdef", 0, ErrTokenMalformed},
		{"not numbers", "x.y." + mac, 0, ErrTokenMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := s.Verify(tc.token)
			if !errors.Is(err, tc.wantErr) || env != tc.wantEnv {
				t.Errorf("Verify(%q) = %d, %v; want %d, %v", tc.token, env, err, tc.wantEnv, tc.wantErr)
			}
		})
	}
}

// TestTokenExpiry: tokens issued during one half-lifetime are identical (so bulk answers and their ETags
// stay the same), live between half the TTL and the TTL, and replicas sharing the secret issue the same.
func TestTokenExpiry(t *testing.T) {
	const secret = "a-secret-of-at-least-thirty-two-chars"
	start := time.Unix(1_800_000_000, 0).Truncate(30 * time.Minute)
	first := signerAt(secret, time.Hour, start).Issue(7)
	for _, d := range []time.Duration{0, time.Minute, 29*time.Minute + 59*time.Second} {
		if got := signerAt(secret, time.Hour, start.Add(d)).Issue(7); got != first {
			t.Errorf("%s into the half-lifetime: %q, want %q", d, got, first)
		}
	}
	if got := signerAt(secret, time.Hour, start.Add(30*time.Minute)).Issue(7); got == first {
		t.Errorf("the next half-lifetime issued the same token")
	}
	for _, d := range []time.Duration{0, 29 * time.Minute} {
		issued := start.Add(d)
		exp := signerAt(secret, time.Hour, issued).Expiry()
		if life := time.Unix(exp, 0).Sub(issued); life < 30*time.Minute || life > time.Hour {
			t.Errorf("issued %s into the half-lifetime: lives %s, want between 30m and 1h", d, life)
		}
	}
	late := signerAt(secret, time.Hour, start.Add(time.Hour-time.Second))
	if _, err := late.Verify(first); err != nil {
		t.Errorf("just under an hour later (issued at the start of its half-lifetime, it lives 1h): %v", err)
	}
	later := signerAt(secret, time.Hour, start.Add(time.Hour))
	if _, err := later.Verify(first); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("past its expiry: %v, want ErrTokenExpired", err)
	}
}

// TestRandomKeyPerProcess: without a secret, each signer has its own key, and refuses the other's tokens.
func TestRandomKeyPerProcess(t *testing.T) {
	a, b := NewSigner(nil, time.Hour), NewSigner(nil, time.Hour)
	if _, err := a.Verify(a.Issue(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(a.Issue(1)); !errors.Is(err, ErrTokenForged) {
		t.Fatalf("another process's token: %v, want ErrTokenForged", err)
	}
}
