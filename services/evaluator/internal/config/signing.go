package config

import (
	"strings"

	"github.com/halyard-flags/halyard/shared/snapsig"
)

// Verifier reads HALYARD_SNAPSHOT_PUBLIC_KEYS: nil when it is not set (snapshots need no signature), else
// the keys a snapshot's signature must verify with (two during a rotation; ADR 0017).
func (c Config) Verifier() (*snapsig.Verifier, error) {
	if strings.TrimSpace(c.SnapshotPublicKeys) == "" {
		return nil, nil
	}
	return snapsig.ParsePublicKeys(c.SnapshotPublicKeys)
}
