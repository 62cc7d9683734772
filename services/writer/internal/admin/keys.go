package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// Environment credential kinds and the prefixes of their keys. PostHog's SDKs expect phc_ for the public
// project key; phs_ marks the secret server key (local evaluation).
const (
	KindSDK    = "sdk"
	KindServer = "server"

	SDKKeyPrefix    = "phc_"
	ServerKeyPrefix = "phs_"
)

// NewKey returns prefix followed by crypto/rand.Text: 26 characters of the base32 alphabet (A–Z, 2–7),
// 128 uniformly random bits. Keys are looked up whole (SDK keys) or by hash (server keys, token secrets),
// never parsed, and the alphabet has no '_', so an admin token's hly_<id>_<secret> still splits cleanly.
func NewKey(prefix string) string { return prefix + rand.Text() }

// NewEnvironmentKey returns a fresh key of kind (KindSDK or KindServer) in clear, and the value stored for
// it: SDK keys are public and stored as they are, server keys are stored as their hash.
func NewEnvironmentKey(kind string) (clear, stored string) {
	if kind == KindServer {
		clear = NewKey(ServerKeyPrefix)
		return clear, HashKey(clear)
	}
	clear = NewKey(SDKKeyPrefix)
	return clear, clear
}

// HashKey is how secrets (server keys, admin token secrets) are stored and how server keys travel in
// snapshots: the SHA-256 of the key, in hex. The evaluator hashes a presented server key the same way.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
