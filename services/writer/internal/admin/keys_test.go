package admin

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/apperr"
)

var base32Text = regexp.MustCompile(`^[A-Z2-7]{26}$`)

func TestNewKey(t *testing.T) {
	seen := map[string]bool{}
	for _, prefix := range []string{SDKKeyPrefix, ServerKeyPrefix, ""} {
		for range 100 {
			k := NewKey(prefix)
			rest, ok := strings.CutPrefix(k, prefix)
			if !ok || !base32Text.MatchString(rest) {
				t.Fatalf("NewKey(%q) = %q, want the prefix and 26 base32 characters", prefix, k)
			}
			if seen[k] {
				t.Fatalf("NewKey(%q) repeated %q", prefix, k)
			}
			seen[k] = true
		}
	}
}

// TestNewKeyIsUnbiased: every character of the alphabet is about equally likely at every position (the
// former base62 keys took a byte modulo 62, which favoured the first 8 characters).
func TestNewKeyIsUnbiased(t *testing.T) {
	const n = 4000
	counts := map[rune]int{}
	for range n {
		for _, r := range NewKey("") {
			counts[r]++
		}
	}
	if len(counts) != 32 {
		t.Fatalf("%d distinct characters, want 32", len(counts))
	}
	want := float64(n*26) / 32
	for r, c := range counts {
		if d := float64(c) - want; d > want*0.1 || d < -want*0.1 {
			t.Errorf("%q appears %d times, want about %.0f", r, c, want)
		}
	}
}

func TestNewEnvironmentKey(t *testing.T) {
	clear, stored := NewEnvironmentKey(KindSDK)
	if !strings.HasPrefix(clear, SDKKeyPrefix) || stored != clear {
		t.Errorf("sdk key %q stored as %q, want phc_… stored as it is", clear, stored)
	}
	clear, stored = NewEnvironmentKey(KindServer)
	if !strings.HasPrefix(clear, ServerKeyPrefix) || stored != HashKey(clear) {
		t.Errorf("server key %q stored as %q, want phs_… stored as its hash", clear, stored)
	}
}

func TestHashKey(t *testing.T) {
	// sha256("abc"), the FIPS 180-2 test vector: the evaluator hashes presented server keys the same way.
	if got := HashKey("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashKey(abc) = %s", got)
	}
}

func TestParseToken(t *testing.T) {
	secret := NewTokenSecret()
	tests := []struct {
		token  string
		id     int64
		secret string
		ok     bool
	}{
		{FormatToken(42, secret), 42, secret, true},
		{"hly_7_abc_def", 7, "abc_def", true},
		{"hly_7", 0, "", false},
		{"hly_x_abc", 0, "", false},
		{"phc_7_abc", 0, "", false},
		{"", 0, "", false},
	}
	for _, tt := range tests {
		id, secret, ok := ParseToken(tt.token)
		if diff := cmp.Diff([]any{tt.id, tt.secret, tt.ok}, []any{id, secret, ok}); diff != "" {
			t.Errorf("ParseToken(%q) mismatch (-want +got):\n%s", tt.token, diff)
		}
	}
}

func TestTokenVerify(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	secret := NewTokenSecret()
	live := Token{ID: 1, SecretHash: HashKey(secret)}
	tests := []struct {
		name   string
		token  Token
		secret string
		code   string // "" accepts
	}{
		{"live", live, secret, ""},
		{"wrong secret", live, secret + "x", "invalid_token"},
		{"revoked", Token{SecretHash: live.SecretHash, RevokedAt: &past}, secret, "token_revoked"},
		{"expired", Token{SecretHash: live.SecretHash, ExpiresAt: &now}, secret, "token_expired"},
		{"expires later", Token{SecretHash: live.SecretHash, ExpiresAt: &future}, secret, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.token.Verify(tt.secret, now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if ae := apperr.As(err); ae.Kind != apperr.Unauthorized || ae.Code != tt.code {
				t.Fatalf("error %v, want 401 %s", err, tt.code)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	tests := []struct {
		scopes []string
		want   Scope
		name   string
	}{
		{nil, 0, "none"},
		{[]string{"read"}, ScopeRead, "read"},
		{[]string{"write", "read"}, ScopeWrite, "write"},
		{[]string{"read", "admin"}, ScopeAdmin, "admin"},
		{[]string{"root"}, 0, "none"},
	}
	for _, tt := range tests {
		got := Token{Scopes: tt.scopes}.Scope()
		if got != tt.want || got.String() != tt.name {
			t.Errorf("scopes %q: %v (%s), want %v (%s)", tt.scopes, int(got), got, int(tt.want), tt.name)
		}
	}
	if ParseScope("none") != 0 || ParseScope("") != 0 || Scope(9).String() != "none" {
		t.Error("an unknown scope parsed or printed as one")
	}
}

func TestTokenRequestValidate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	tests := []struct {
		name  string
		in    TokenRequest
		want  TokenRequest // when valid
		paths []string     // the problems' paths when not
	}{
		{"valid", TokenRequest{Name: " ci ", Scopes: []string{"write", "read", "write"}, ExpiresAt: &future},
			TokenRequest{Name: "ci", Scopes: []string{"read", "write"}, ExpiresAt: &future}, nil},
		{"everything wrong", TokenRequest{Name: " ", Scopes: []string{"read", "root"}, ExpiresAt: &past}, TokenRequest{},
			[]string{"name", "scopes[1]", "expires_at"}},
		{"no scope", TokenRequest{Name: "x"}, TokenRequest{}, []string{"scopes"}},
		{"long name", TokenRequest{Name: strings.Repeat("n", 201), Scopes: []string{"read"}}, TokenRequest{}, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Validate(now)
			if diff := cmp.Diff(tt.paths, paths(problemsOf(t, err))); diff != "" {
				t.Fatalf("problems mismatch (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}
