package eval

import (
	"crypto/sha1"
	"encoding/hex"
	"testing"
)

// TestHashVectors pins the published PostHog reference values (testdata/posthog-hash-vectors.md):
// first 15 hex digits of SHA-1 as an integer, divided in binary64 by 0xFFFFFFFFFFFFFFF.
func TestHashVectors(t *testing.T) {
	tests := []struct {
		prefix, id, salt string
		hex              string
		want             float64
	}{
		{"simple-flag.", "distinct_id_0", "", "c8a05362b9f414f", 0.7836963764220432},
		{"simple-flag.", "distinct_id_1", "", "56f70997ddf6067", 0.3397069926995401},
		{"beta-search.", "user-17", "", "02547515f0f76d5", 0.009101217133290002},
		{"beta-search-rollout.", "user-105", "", "48fe3fe11eaff7b", 0.2851295399293007},
		{"checkout-layout.", "user-61", "variant", "91e010d6e111202", 0.5698252224547713},
		{"checkout-layout.", "user-17", "variant", "23040f3322fc232", 0.13678069113210306},
		{"holdout-", "user-31", "", "04fc4895fdca19f", 0.0194745413007599},
		{"holdout-", "user-77", "", "202783c8a1fc197", 0.1256029476953561},
		{"org-dashboard.", "org-9", "", "9347a4c24abc0da", 0.5753119444222963},
		{"org-dashboard.", "42", "", "9988fe571337916", 0.5997466051660167},
		{"holdout-", "", "", "ed48336e9056a92", 0.9268829483920294},
	}
	for _, tt := range tests {
		sum := sha1.Sum([]byte(tt.prefix + tt.id + tt.salt))
		if got := hex.EncodeToString(sum[:])[:15]; got != tt.hex {
			t.Errorf("sha1(%q)[:15] = %s, want %s", tt.prefix+tt.id+tt.salt, got, tt.hex)
		}
		if got := hash(tt.prefix, tt.id, tt.salt); got != tt.want {
			t.Errorf("hash(%q) = %v, want %v", tt.prefix+tt.id+tt.salt, got, tt.want)
		}
	}
}

// TestBucketEmptyIdentifier pins PostHog's get_hash: an empty identifier hashes to 0.0 (rollout and
// variant), while holdouts hash "holdout-" itself.
func TestBucketEmptyIdentifier(t *testing.T) {
	if got := bucket("any-flag.", "", ""); got != 0 {
		t.Errorf("bucket(empty) = %v, want 0", got)
	}
	if got := hash("holdout-", "", ""); got != 0.9268829483920294 {
		t.Errorf("holdout hash(empty) = %v", got)
	}
}

func TestHashLongInput(t *testing.T) {
	long := string(make([]byte, 1000))
	sum := sha1.Sum([]byte("k." + long))
	_ = sum
	if hash("k.", long, "") < 0 || hash("k.", long, "") >= 1 {
		t.Fatal("hash out of [0,1)")
	}
}
