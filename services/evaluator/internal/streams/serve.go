package streams

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
)

// Protocol renders one kind of stream. Each method appends its frames to dst.
type Protocol interface {
	// Open is what the stream starts with, given the environment as it is now; it returns the version the
	// client now knows of, so that only newer ones are announced.
	Open(dst []byte, env *store.Env) ([]byte, int64)
	// Change announces env, newer than any version announced before.
	Change(dst []byte, env *store.Env) []byte
	// Heartbeat is written after Config.Heartbeat without any other write.
	Heartbeat(dst []byte, env *store.Env) []byte
	// Spread says whether a change is announced after a random delay within the topic's window (OFREP,
	// whose clients refetch at once), or at once (PostHog, whose clients spread their own refetches).
	Spread() bool
	// Retry is the reconnection delay the stream advises (jittered by the protocol).
	Retry() time.Duration
}

// Serve writes the member's stream to w until the client goes (ctx), the hub shuts down, the stream's
// lifetime ends, or a write fails; then it leaves the topic. w must be able to flush; a write deadline is
// set before each write (and the server's read deadline lifted) when w supports them.
func (h *Hub) Serve(ctx context.Context, w http.ResponseWriter, m *Member, p Protocol) error {
	defer m.Leave()
	s := &sender{w: w, rc: http.NewResponseController(w), timeout: h.cfg.WriteTimeout}
	// Lift the server's read deadline (ReadTimeout, meant for ordinary requests), so an idle stream never
	// depends on how net/http treats a timed-out background read; writes get their own deadline below.
	if err := s.rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no") // nginx and friends: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	env, _ := h.store.ByID(m.t.envID)
	buf := appendRetry(make([]byte, 0, 256), p.Retry())
	var sent int64
	if env != nil {
		buf, sent = p.Open(buf, env)
	}
	if err := s.write(buf); err != nil {
		return err
	}
	life := time.NewTimer(jitter(h.cfg.MaxLifetime, 0.1))
	defer life.Stop()
	beat := time.NewTimer(h.cfg.Heartbeat)
	defer beat.Stop()
	var due <-chan time.Time // a spread announcement waiting for its turn
	for {
		var announce bool
		select {
		case <-ctx.Done():
			return nil
		case <-h.done:
			return nil
		case <-life.C:
			return s.write(appendRetry(append(buf[:0], ": reconnect\n"...), p.Retry()))
		case <-beat.C:
			env, _ := h.store.ByID(m.t.envID)
			if env != nil {
				if err := s.write(p.Heartbeat(buf[:0], env)); err != nil {
					return err
				}
			}
			beat.Reset(h.cfg.Heartbeat)
			continue
		case <-m.notify:
			if _, window := m.Latest(); p.Spread() && window > 0 {
				if due == nil {
					due = time.After(rand.N(window)) // #nosec G404 -- jitter, not a secret
				}
				continue
			}
			announce = true
		case <-due:
			due, announce = nil, true
		}
		if env, _ := h.store.ByID(m.t.envID); announce && env != nil && env.Version > sent {
			if err := s.write(p.Change(buf[:0], env)); err != nil {
				return err
			}
			sent = env.Version
			beat.Reset(h.cfg.Heartbeat)
		}
	}
}

// sender writes frames and flushes them, each within the write timeout.
type sender struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (s *sender) write(b []byte) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// appendRetry appends the SSE field that sets the client's reconnection delay (a frame without data:
// nothing is dispatched).
func appendRetry(dst []byte, d time.Duration) []byte {
	dst = append(dst, "retry: "...)
	dst = strconv.AppendInt(dst, d.Milliseconds(), 10)
	return append(dst, "\n\n"...)
}

// jitter is d ± share·d, uniformly.
func jitter(d time.Duration, share float64) time.Duration {
	return time.Duration(float64(d) * (1 - share + 2*share*rand.Float64())) // #nosec G404 -- jitter, not a secret
}
