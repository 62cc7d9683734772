// Package store is the evaluator's in-memory state: every environment's compiled flags, found by id, SDK key
// or server key, and a feed of the versions it applies. Readers never lock: each index is a sync.Map
// behind a typed face (table.go), and an Env is immutable once stored. Applying a snapshot
// compiles it outside any lock and then touches only its environment's entry and keys, so it costs the same
// in a store of ten environments as in one of fifty thousand. The request path does no I/O.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/envview"
	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/halyard-flags/halyard/shared/wire"
)

// Env is one environment as evaluators serve it. It is immutable once stored, apart from its view, which
// is built on first use, and its source, which moves from disk to the stream once the stream confirms it
// (source.go).
type Env struct {
	ID          int64
	ProjectID   int64
	Version     int64
	PublishedAt time.Time
	AppliedAt   time.Time
	Engine      *eval.Engine
	Snapshot    *wire.Snapshot // the decoded definitions, for the local-evaluation endpoint

	view     envview.View
	fromDisk atomic.Bool // loaded from HALYARD_SNAPSHOT_DIR, not confirmed by the stream yet
}

// View is what the HTTP API derives from this version, built lazily and dropped with the version.
func (e *Env) View() *envview.View { return &e.view }

type credential struct {
	env       *Env
	kind      string
	expiresAt int64 // unix milliseconds; 0 = never
}

// Store holds every environment.
type Store struct {
	mu    sync.Mutex // serializes writers only
	byID  *table[int64, *Env]
	byKey *table[string, credential] // SDK keys in clear, server keys by SHA-256 hex
	feed  feed
	now   func() time.Time
}

// New returns an empty store.
func New() *Store {
	return &Store{byID: newTable[int64, *Env](), byKey: newTable[string, credential](),
		feed: feed{all: map[*Subscription]struct{}{}, byEnv: map[int64]map[*Subscription]struct{}{}}, now: time.Now}
}

// BySDKKey finds the environment of a public SDK key.
func (s *Store) BySDKKey(key string) (*Env, bool) {
	return s.lookup(key, wire.KindSDK)
}

// ByServerKey finds the environment of a secret server key.
func (s *Store) ByServerKey(key string) (*Env, bool) {
	sum := sha256.Sum256([]byte(key))
	return s.lookup(hex.EncodeToString(sum[:]), wire.KindServer)
}

func (s *Store) lookup(value, kind string) (*Env, bool) {
	c, ok := s.byKey.load(value)
	if !ok || c.kind != kind || (c.expiresAt != 0 && s.now().UnixMilli() >= c.expiresAt) {
		return nil, false
	}
	return c.env, true
}

// ByID returns an environment by id.
func (s *Store) ByID(id int64) (*Env, bool) {
	return s.byID.load(id)
}

// All returns every environment (in no particular order).
func (s *Store) All() []*Env {
	out := []*Env{}
	s.byID.all(func(_ int64, e *Env) { out = append(out, e) })
	return out
}
