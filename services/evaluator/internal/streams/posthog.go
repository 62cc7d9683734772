package streams

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
)

// PostHog is one stream of PostHog's flags stream gateway protocol (PostHog/posthog rust/flags-stream-gateway,
// GET /stream/v1?kind=…): the stream starts with a retry: hint of 3 to 8 s, then every frame (at connect, on
// each change, and as the heartbeat) is a version beacon
//
//	event: version
//	id: <version>
//	data: {"kind":"definitions","version":"<version>","stagger_window_s":1}
//
// whose id is the version, so a reconnecting client's Last-Event-ID says what it had. Beacons go out at
// once: PostHog's clients spread their own refetches over stagger_window_s.
type PostHog struct {
	Kind string // "definitions" or "remote_eval"
	// Version is the beacon's version of env: for definitions, the local-evaluation answer's ETag; "" is
	// sent as null (clients hold). Nil: RemoteEvalVersion.
	Version func(env *store.Env) string
	// StaggerSeconds is the beacons' stagger_window_s (at least 1, as PostHog's gateway guarantees).
	StaggerSeconds int
}

// RemoteEvalVersion is the remote_eval beacon's version: the environment version as 16 hex digits, the
// shape of PostHog's content hashes.
func RemoteEvalVersion(env *store.Env) string {
	return fmt.Sprintf("%016x", env.Version)
}

// Open implements Protocol.
func (p *PostHog) Open(dst []byte, env *store.Env) ([]byte, int64) {
	return p.beacon(dst, env), env.Version
}

// Change implements Protocol.
func (p *PostHog) Change(dst []byte, env *store.Env) []byte { return p.beacon(dst, env) }

// Heartbeat implements Protocol: the current beacon again.
func (p *PostHog) Heartbeat(dst []byte, env *store.Env) []byte { return p.beacon(dst, env) }

// Spread implements Protocol.
func (p *PostHog) Spread() bool { return false }

// Retry implements Protocol: 3 s plus up to 5 s, so a mass disconnect does not reconnect in one wave.
func (p *PostHog) Retry() time.Duration { return 3*time.Second + rand.N(5*time.Second) } // #nosec G404 -- jitter

func (p *PostHog) beacon(dst []byte, env *store.Env) []byte {
	version := p.version(env)
	dst = append(dst, "event: version\n"...)
	if version != "" {
		dst = append(dst, "id: "...)
		dst = append(dst, version...)
		dst = append(dst, '\n')
	}
	dst = append(dst, `data: {"kind":`...)
	dst = strconv.AppendQuote(dst, p.Kind)
	dst = append(dst, `,"version":`...)
	if version == "" {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendQuote(dst, version)
	}
	dst = append(dst, `,"stagger_window_s":`...)
	dst = strconv.AppendInt(dst, int64(max(1, p.StaggerSeconds)), 10)
	return append(dst, "}\n\n"...)
}

func (p *PostHog) version(env *store.Env) string {
	if p.Version == nil {
		return RemoteEvalVersion(env)
	}
	return p.Version(env)
}
