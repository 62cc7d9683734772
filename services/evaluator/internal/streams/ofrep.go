package streams

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
)

// OFREP is one OpenFeature event stream (open-feature/protocol ADR-0008, service/event-streams.yaml):
// every announcement is
//
//	id: 42
//	event: message
//	data: {"type":"refetchEvaluation","etag":"\"v42\"","lastModified":1771622898}
//
// where 42 is the environment's version, the etag names it (a refetch may send it back as flagConfigEtag)
// and lastModified is when the writer published it (unix seconds). Heartbeats are comment lines.
type OFREP struct {
	// LastEventID is the client's Last-Event-ID header: the version it was last told of. A stream that
	// resumes behind the current version announces it at once.
	LastEventID string
	// Fresh: a new stream (no Last-Event-ID) announces the current version at once when it was applied
	// less than Fresh ago, since its client's bulk evaluation may have been answered just before it; an
	// older version only sets the stream's id, so the first reconnect resumes from it.
	Fresh time.Duration
	now   func() time.Time
}

// NewOFREP is the stream for a client that sent lastEventID ("" for none).
func NewOFREP(lastEventID string) *OFREP {
	return &OFREP{LastEventID: lastEventID, Fresh: 30 * time.Second, now: time.Now}
}

// Open implements Protocol.
func (p *OFREP) Open(dst []byte, env *store.Env) ([]byte, int64) {
	if last, err := strconv.ParseInt(strings.TrimSpace(p.LastEventID), 10, 64); err == nil {
		if last >= env.Version {
			return dst, last // up to date (or ahead: another replica told it of a newer version)
		}
		return p.Change(dst, env), env.Version
	}
	if p.now().Sub(env.AppliedAt) < p.Fresh {
		return p.Change(dst, env), env.Version
	}
	return appendID(dst, env.Version), env.Version
}

// Change implements Protocol.
func (p *OFREP) Change(dst []byte, env *store.Env) []byte {
	dst = append(dst, "id: "...)
	dst = strconv.AppendInt(dst, env.Version, 10)
	dst = append(dst, "\nevent: message\ndata: {\"type\":\"refetchEvaluation\",\"etag\":"...)
	dst = strconv.AppendQuote(dst, ETag(env.Version))
	if ms := env.PublishedAt.UnixMilli(); ms > 0 {
		dst = append(dst, `,"lastModified":`...)
		dst = strconv.AppendInt(dst, ms/1000, 10)
	}
	return append(dst, "}\n\n"...)
}

// Heartbeat implements Protocol: a comment line.
func (p *OFREP) Heartbeat(dst []byte, _ *store.Env) []byte { return append(dst, ": ping\n\n"...) }

// Spread implements Protocol: OFREP providers refetch as soon as they are told.
func (p *OFREP) Spread() bool { return true }

// Retry implements Protocol: 1 to 3 s.
func (p *OFREP) Retry() time.Duration { return time.Second + rand.N(2*time.Second) } // #nosec G404 -- jitter

// appendID appends a frame with only an id: the client's Last-Event-ID is set, no event is dispatched.
func appendID(dst []byte, version int64) []byte {
	dst = append(dst, "id: "...)
	dst = strconv.AppendInt(dst, version, 10)
	return append(dst, "\n\n"...)
}

// ETag is the event's etag for an environment version: `"v42"`.
func ETag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// ParseETag reads a version back from ETag's form (weak or not); ok is false for any other text.
func ParseETag(s string) (version int64, ok bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	s, found := strings.CutPrefix(s, `"v`)
	if !found || !strings.HasSuffix(s, `"`) {
		return 0, false
	}
	v, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}
