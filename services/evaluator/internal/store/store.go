// Package store is the evaluator's in-memory state: every environment's compiled flags, found by SDK key or
// server key. Readers never lock: the whole index is an immutable value behind an atomic pointer, replaced
// (copy on write) when a snapshot is applied. The request path does no I/O.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/halyard-flags/halyard/shared/wire"
)

// Env is one environment as evaluators serve it. It is immutable once stored.
type Env struct {
	ID          int64
	ProjectID   int64
	Version     int64
	PublishedAt time.Time
	AppliedAt   time.Time
	Engine      *eval.Engine
	Snapshot    *wire.Snapshot // the decoded definitions, for the local-evaluation endpoint

	derivedOnce sync.Once
	derived     any
}

// Derived returns build(e), computed on first use and then kept with this Env: the HTTP API keeps its
// pre-encoded JSON of the environment here, so it is made once per version (lazily, which keeps cold start and
// snapshot apply as they were) and dropped with the version. build must depend only on e; the store has
// one such slot, owned by the HTTP API.
func (e *Env) Derived(build func(*Env) any) any {
	e.derivedOnce.Do(func() { e.derived = build(e) })
	return e.derived
}

type credential struct {
	env       *Env
	kind      string
	expiresAt int64 // unix milliseconds; 0 = never
}

type index struct {
	byID  map[int64]*Env
	byKey map[string]credential // SDK keys in clear, server keys by SHA-256 hex
}

// Store holds every environment.
type Store struct {
	mu  sync.Mutex // serializes writers only
	idx atomic.Pointer[index]
	now func() time.Time
}

// New returns an empty store.
func New() *Store {
	s := &Store{now: time.Now}
	s.idx.Store(&index{byID: map[int64]*Env{}, byKey: map[string]credential{}})
	return s
}

// Apply compiles the snapshot and swaps it in if it is newer than what the store holds for its environment.
// It reports whether it did.
func (s *Store) Apply(snap *wire.Snapshot) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.idx.Load()
	if cur, ok := old.byID[snap.EnvironmentID]; ok && cur.Version >= snap.Version {
		return false
	}
	env := &Env{
		ID: snap.EnvironmentID, ProjectID: snap.ProjectID, Version: snap.Version,
		PublishedAt: time.UnixMilli(snap.PublishedAt), AppliedAt: s.now(), Snapshot: snap,
		Engine: eval.Compile(eval.Definitions{Flags: snap.Flags, Cohorts: snap.Cohorts, GroupTypes: snap.GroupTypes}),
	}
	next := &index{byID: make(map[int64]*Env, len(old.byID)+1), byKey: make(map[string]credential, len(old.byKey)+2)}
	for id, e := range old.byID {
		next.byID[id] = e
	}
	next.byID[env.ID] = env
	for k, c := range old.byKey {
		if c.env.ID != env.ID {
			next.byKey[k] = c
		}
	}
	for _, k := range snap.Keys {
		next.byKey[k.Value] = credential{env: env, kind: k.Kind, expiresAt: k.ExpiresAt}
	}
	s.idx.Store(next)
	return true
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
	c, ok := s.idx.Load().byKey[value]
	if !ok || c.kind != kind || (c.expiresAt != 0 && s.now().UnixMilli() >= c.expiresAt) {
		return nil, false
	}
	return c.env, true
}

// ByID returns an environment by id.
func (s *Store) ByID(id int64) (*Env, bool) {
	e, ok := s.idx.Load().byID[id]
	return e, ok
}

// All returns every environment (in no particular order).
func (s *Store) All() []*Env {
	idx := s.idx.Load()
	out := make([]*Env, 0, len(idx.byID))
	for _, e := range idx.byID {
		out = append(out, e)
	}
	return out
}
