package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/snapsig"
)

// TestSnapshotPublicKeys: unset checks no signature; set, every key is accepted; a key that does not parse
// stops the evaluator at start.
func TestSnapshotPublicKeys(t *testing.T) {
	a, _, _ := ed25519.GenerateKey(rand.Reader)
	b, _, _ := ed25519.GenerateKey(rand.Reader)
	b64 := base64.StdEncoding.EncodeToString
	t.Setenv("HALYARD_SNAPSHOT_PUBLIC_KEYS", b64(a)+","+b64(b))
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	v, err := c.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{snapsig.KeyID(a), snapsig.KeyID(b)}
	if want[0] > want[1] {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, v.KeyIDs()); diff != "" {
		t.Errorf("key ids mismatch (-want +got):\n%s", diff)
	}

	c.SnapshotPublicKeys = ""
	if v, err := c.Verifier(); v != nil || err != nil {
		t.Errorf("unset: Verifier = %v, %v; want none", v, err)
	}
	c.SnapshotPublicKeys = "not-a-key"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "HALYARD_SNAPSHOT_PUBLIC_KEYS") {
		t.Errorf("Validate = %v, want a HALYARD_SNAPSHOT_PUBLIC_KEYS error", err)
	}
}
