package httpapi

import (
	"math/rand/v2"

	"github.com/labstack/echo/v4"
)

// headerRequestID carries a request's id both ways: a client may send one, every answer has one.
const headerRequestID = "X-Request-Id"

// requestIDOf is the id of a request: the client's X-Request-Id when it is sane (1 to 128 characters of
// letters, digits and -_.:, so it can be logged and echoed as is), else a new random UUID.
func requestIDOf(h map[string][]string) string {
	if v := h[headerRequestID]; len(v) > 0 && saneRequestID(v[0]) {
		return v[0]
	}
	return newUUID()
}

func saneRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_' || ch == '.' || ch == ':') {
			return false
		}
	}
	return true
}

// bodyRequestID is the requestId of a PostHog answer, which is a UUID: the request's id when it is one,
// else a new one.
func bodyRequestID(c echo.Context) string {
	if v := c.Response().Header()[headerRequestID]; len(v) > 0 && isUUID(v[0]) {
		return v[0]
	}
	return newUUID()
}

// newUUID is a random (version 4) UUID. An id needs to be unique, not secret: math/rand/v2's generator
// (ChaCha8, seeded by the system) gives that for a fraction of crypto/rand's cost.
func newUUID() string {
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64() // #nosec G404 -- an id must be unique, not secret (see above)
	for i := range 8 {
		b[i], b[8+i] = byte(hi>>(56-8*i)), byte(lo>>(56-8*i)) // #nosec G115 -- one byte of each at a time
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexd[x>>4], hexd[x&0x0f]
		j += 2
	}
	return string(out[:])
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		ch := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if ch != '-' {
				return false
			}
			continue
		}
		if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F') {
			return false
		}
	}
	return true
}
