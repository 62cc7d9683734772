package eval

import (
	"crypto/sha1" // #nosec G505 -- PostHog buckets with SHA-1: compatibility, not secrecy
	"encoding/binary"
)

// longScale is 0xFFFFFFFFFFFFFFF: the largest 15-hex-digit value, PostHog's hash denominator.
const longScale = float64(0xFFFFFFFFFFFFFFF)

// hashBufSize covers almost every "{key}.{id}{salt}"; longer inputs fall back to a heap buffer.
const hashBufSize = 256

// hash returns PostHog's bucketing value for prefix+id+salt: the first 15 hex digits of the SHA-1 digest
// as an integer, divided in binary64 by 0xFFFFFFFFFFFFFFF. prefix is "{flag_key}." or "holdout-".
func hash(prefix, id, salt string) float64 {
	var stack [hashBufSize]byte
	n := len(prefix) + len(id) + len(salt)
	var buf []byte
	if n <= hashBufSize {
		buf = stack[:0]
	} else {
		buf = make([]byte, 0, n)
	}
	buf = append(buf, prefix...)
	buf = append(buf, id...)
	buf = append(buf, salt...)
	sum := sha1.Sum(buf) // #nosec G401 -- see the import
	// 15 hex digits are the top 60 bits of the first 8 digest bytes.
	v := binary.BigEndian.Uint64(sum[:8]) >> 4
	return float64(v) / longScale
}

// bucket is the rollout/variant hash with PostHog's empty-identifier rule: no identifier hashes to 0.0.
func bucket(prefix, id, salt string) float64 {
	if id == "" {
		return 0
	}
	return hash(prefix, id, salt)
}
