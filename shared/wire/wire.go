// Package wire is the snapshot codec: the msgpack form of one environment's complete state, as the writer
// publishes it to JetStream and every evaluator decodes it.
//
// A snapshot is self-contained (all flags, cohorts, keys and group types of one environment at one version) so
// an evaluator needs only the last message of each environment subject to be current.
package wire

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/vmihailenco/msgpack/v5"
)

// FormatVersion changes whenever a decoder of an older format would misread a snapshot.
const FormatVersion = 1

// Snapshot is the state of one environment at one version.
type Snapshot struct {
	Format        int   `msgpack:"format"`
	ProjectID     int64 `msgpack:"project_id"`
	EnvironmentID int64 `msgpack:"environment_id"`
	Version       int64 `msgpack:"version"`
	PublishedAt   int64 `msgpack:"published_at"` // unix milliseconds, set by the publisher
	// CommittedAt is when the writer committed the oldest change this snapshot publishes (unix milliseconds;
	// 0 from writers that predate it): evaluators measure replication lag from it.
	CommittedAt int64 `msgpack:"committed_at,omitempty"`
	Keys        []Key `msgpack:"keys"`
	// GroupTypes maps aggregation_group_type_index to the group type name ("0" → "company").
	GroupTypes GroupTypeMap  `msgpack:"group_types,omitempty"`
	Flags      []flag.Flag   `msgpack:"flags"`
	Cohorts    []flag.Cohort `msgpack:"cohorts,omitempty"`
}

// GroupTypeMap maps group type indexes to names. It encodes its keys in order (msgpack's SetSortMapKeys
// sorts only string keys), so equal snapshots encode to equal bytes.
type GroupTypeMap map[int]string

// EncodeMsgpack writes the map with its keys sorted.
func (m GroupTypeMap) EncodeMsgpack(enc *msgpack.Encoder) error {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if err := enc.EncodeMapLen(len(keys)); err != nil {
		return err
	}
	for _, k := range keys {
		if err := enc.EncodeInt(int64(k)); err != nil {
			return err
		}
		if err := enc.EncodeString(m[k]); err != nil {
			return err
		}
	}
	return nil
}

// Key is an environment credential as evaluators see it. SDK keys are public and travel in clear; server keys
// are secret and travel only as their SHA-256 hex digest.
type Key struct {
	Kind      string `msgpack:"kind"` // KindSDK or KindServer
	Value     string `msgpack:"value"`
	ExpiresAt int64  `msgpack:"expires_at,omitempty"` // unix milliseconds; 0 = never
}

// Key kinds.
const (
	KindSDK    = "sdk"
	KindServer = "server"
)

// Encode returns the msgpack form of s.
func Encode(s *Snapshot) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true) // deterministic bytes: equal snapshots encode equally
	enc.SetOmitEmpty(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("wire.Encode(env %d v%d): %w", s.EnvironmentID, s.Version, err)
	}
	return buf.Bytes(), nil
}

// Decode parses a snapshot and refuses formats this build does not understand.
func Decode(b []byte) (*Snapshot, error) {
	var s Snapshot
	if err := checkLengths(b); err != nil {
		return nil, fmt.Errorf("wire.Decode: %w", err)
	}
	if err := msgpack.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("wire.Decode: %w", err)
	}
	if s.Format != FormatVersion {
		return nil, fmt.Errorf("wire.Decode: snapshot format %d, this build reads %d", s.Format, FormatVersion)
	}
	return &s, nil
}
