package streams

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// A stream token lets its holder open the event stream of one environment until it expires, and nothing
// else: the stream URL an OFREP bulk answer advertises carries it instead of the SDK key (the spec says
// providers must not log that URL, and a browser's URL leaks into more places than a header does). It is
// "<environment id>.<expiry, unix seconds>.<MAC>", the MAC being the first 16 bytes of HMAC-SHA256 over the
// first two parts, base64url. Expiries are rounded up to a whole half-lifetime, so every answer of one
// environment carries the same token for half a lifetime: the bulk answer (and its ETag) stays the same,
// and replicas sharing a secret issue identical tokens.

// Errors of Verify.
var (
	ErrTokenMalformed = errors.New("the stream token is malformed")
	ErrTokenForged    = errors.New("the stream token's signature is not valid")
	ErrTokenExpired   = errors.New("the stream token has expired")
)

// Signer issues and checks stream tokens.
type Signer struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewSigner signs with secret, or with a random per-process key when secret is empty (then only this
// process accepts its tokens: replicas behind one load balancer need a shared secret). Tokens live between
// ttl/2 and ttl (at least two seconds).
func NewSigner(secret []byte, ttl time.Duration) *Signer {
	key := secret
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails (crypto/rand panics rather than return an error)
	}
	return &Signer{key: key, ttl: max(ttl, 2*time.Second), now: time.Now}
}

// Expiry is the expiry of the tokens issued now: the end of the half-lifetime after the current one.
func (s *Signer) Expiry() int64 {
	half := int64(s.ttl / 2 / time.Second)
	return (s.now().Unix()/half + 2) * half
}

// Sign returns the token for environment envID expiring at exp (unix seconds).
func (s *Signer) Sign(envID, exp int64) string {
	claim := strconv.FormatInt(envID, 10) + "." + strconv.FormatInt(exp, 10)
	return claim + "." + s.mac(claim)
}

// Issue returns a token for environment envID expiring at Expiry.
func (s *Signer) Issue(envID int64) string { return s.Sign(envID, s.Expiry()) }

// Verify returns the environment a token grants, if it is genuine and not expired.
func (s *Signer) Verify(token string) (int64, error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return 0, ErrTokenMalformed
	}
	claim, mac := token[:i], token[i+1:]
	envText, expText, ok := strings.Cut(claim, ".")
	if !ok {
		return 0, ErrTokenMalformed
	}
	envID, err1 := strconv.ParseInt(envText, 10, 64)
	exp, err2 := strconv.ParseInt(expText, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, ErrTokenMalformed
	}
	if !hmac.Equal([]byte(mac), []byte(s.mac(claim))) {
		return 0, ErrTokenForged
	}
	if s.now().Unix() >= exp {
		return 0, ErrTokenExpired
	}
	return envID, nil
}

func (s *Signer) mac(claim string) string {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("halyard-stream-token\x00"))
	h.Write([]byte(claim))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}
