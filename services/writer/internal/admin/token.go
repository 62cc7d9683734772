package admin

import (
	"crypto/subtle"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// Token is an admin token as listed: never its secret.
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// SecretHash is HashKey of the token's secret part; it never leaves the writer.
	SecretHash string `json:"-"`
}

// Scope is what a token may do; each scope includes the ones below it (admin ⊃ write ⊃ read).
type Scope int

// The scopes, in order. The zero Scope is none.
const (
	ScopeRead Scope = iota + 1
	ScopeWrite
	ScopeAdmin
)

var scopeNames = []string{ScopeRead: "read", ScopeWrite: "write", ScopeAdmin: "admin"}

func (s Scope) String() string {
	if s < ScopeRead || s > ScopeAdmin {
		return "none"
	}
	return scopeNames[s]
}

// ParseScope reads a scope's name; the zero Scope when there is no such scope.
func ParseScope(name string) Scope {
	if i := slices.Index(scopeNames, name); i > 0 {
		return Scope(i)
	}
	return 0
}

// Scope is the highest scope the token holds.
func (t Token) Scope() Scope {
	var s Scope
	for _, n := range t.Scopes {
		s = max(s, ParseScope(n))
	}
	return s
}

// TokenPrefix starts every admin token: hly_<id>_<secret>. The id finds the row; the secret's hash is
// compared in constant time.
const TokenPrefix = "hly_"

// NewTokenSecret returns the random part of a new admin token.
func NewTokenSecret() string { return NewKey("") }

// FormatToken is the token an admin sends: hly_<id>_<secret>.
func FormatToken(id int64, secret string) string {
	return TokenPrefix + strconv.FormatInt(id, 10) + "_" + secret
}

// ParseToken splits a token made by FormatToken; ok is false for anything else.
func ParseToken(token string) (id int64, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return 0, "", false
	}
	idPart, secret, ok := strings.Cut(rest, "_")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil {
		return 0, "", false
	}
	return id, secret, true
}

// ErrInvalidToken is the 401 of a token that is not an admin token (unknown, malformed, wrong secret).
func ErrInvalidToken() error {
	return apperr.New(apperr.Unauthorized, "invalid_token", "the admin token is not valid")
}

// Verify accepts secret as the token's at now: it must hash to SecretHash (compared in constant time), and
// the token must be neither revoked nor expired.
func (t Token) Verify(secret string, now time.Time) error {
	if subtle.ConstantTimeCompare([]byte(HashKey(secret)), []byte(t.SecretHash)) != 1 {
		return ErrInvalidToken()
	}
	if t.RevokedAt != nil {
		return apperr.New(apperr.Unauthorized, "token_revoked", "the admin token was revoked")
	}
	if t.ExpiresAt != nil && !t.ExpiresAt.After(now) {
		return apperr.New(apperr.Unauthorized, "token_expired", "the admin token expired")
	}
	return nil
}

// TokenRequest is what an admin asks for when creating a token.
type TokenRequest struct {
	Name      string
	Scopes    []string
	ExpiresAt *time.Time
}

// Validate checks the request at now and returns it normalized: the name trimmed, the scopes sorted
// without duplicates. Every problem is reported.
func (r TokenRequest) Validate(now time.Time) (TokenRequest, error) {
	var problems []flag.Problem
	if r.Name = strings.TrimSpace(r.Name); r.Name == "" || len(r.Name) > MaxNameLength {
		problems = append(problems, problem("name", "name is required, at most 200 characters"))
	}
	if len(r.Scopes) == 0 {
		problems = append(problems, problem("scopes", "at least one of read, write, admin"))
	}
	for i, sc := range r.Scopes {
		if ParseScope(sc) == 0 {
			problems = append(problems, problem("scopes["+strconv.Itoa(i)+"]", "unknown scope "+strconv.Quote(sc)+" (read, write, admin)"))
		}
	}
	if r.ExpiresAt != nil && !r.ExpiresAt.After(now) {
		problems = append(problems, problem("expires_at", "must be in the future"))
	}
	if len(problems) > 0 {
		return r, Invalid(problems...)
	}
	r.Scopes = slices.Compact(slices.Sorted(slices.Values(r.Scopes)))
	return r, nil
}
