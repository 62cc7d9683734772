package streams

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
)

// apply stores version v of environment env (no flags).
func apply(tb testing.TB, st *store.Store, env, v int64) {
	tb.Helper()
	if !st.Apply(&wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: env, Version: v,
		PublishedAt: 1764000000000 + v*1000}) {
		tb.Fatalf("environment %d v%d was not applied", env, v)
	}
}

// runHub runs a hub over st until the test ends.
func runHub(tb testing.TB, st *store.Store, cfg Config) *Hub {
	tb.Helper()
	h := NewHub(st, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	go h.Run(ctx)
	return h
}

// checkFor polls fn every few milliseconds until it returns "" or total passes.
func checkFor(tb testing.TB, total time.Duration, fn func() string) {
	tb.Helper()
	deadline := time.Now().Add(total)
	var why string
	for time.Now().Before(deadline) {
		if why = fn(); why == "" {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	tb.Fatalf("condition not met after %s: %s", total, why)
}

// pipeWriter is a ResponseWriter whose body goes into a pipe, read frame by frame by frames.
type pipeWriter struct {
	header http.Header
	w      *io.PipeWriter
}

func (p *pipeWriter) Header() http.Header         { return p.header }
func (p *pipeWriter) WriteHeader(int)             {}
func (p *pipeWriter) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeWriter) Flush()                      {}

// stream is one served stream as a test sees it.
type stream struct {
	frames chan string // each SSE frame, without its blank line
	done   chan error  // Serve's result
	cancel context.CancelFunc
}

// serve runs Serve for a new member of env with protocol p, and reads its frames.
func serve(tb testing.TB, h *Hub, env int64, p Protocol) *stream {
	tb.Helper()
	m, err := h.Join(env)
	if err != nil {
		tb.Fatal(err)
	}
	return serveMember(tb, h, m, p)
}

func serveMember(tb testing.TB, h *Hub, m *Member, p Protocol) *stream {
	tb.Helper()
	r, w := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{frames: make(chan string, 100), done: make(chan error, 1), cancel: cancel}
	go func() {
		s.done <- h.Serve(ctx, &pipeWriter{header: http.Header{}, w: w}, m, p)
		w.Close()
	}()
	go readFrames(r, s.frames)
	tb.Cleanup(func() { cancel(); r.Close() })
	return s
}

func readFrames(r io.Reader, out chan<- string) {
	defer close(out)
	sc := bufio.NewScanner(r)
	var frame []string
	for sc.Scan() {
		if sc.Text() != "" {
			frame = append(frame, sc.Text())
			continue
		}
		out <- strings.Join(frame, "\n")
		frame = nil
	}
}

// next returns the stream's next frame, failing after total.
func (s *stream) next(tb testing.TB, total time.Duration) string {
	tb.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			tb.Fatal("the stream ended")
		}
		return f
	case <-time.After(total):
		tb.Fatalf("no frame after %s", total)
		return ""
	}
}

// nextMatching skips frames until one contains want.
func (s *stream) nextMatching(tb testing.TB, total time.Duration, want string) string {
	tb.Helper()
	deadline := time.Now().Add(total)
	for {
		f := s.next(tb, time.Until(deadline))
		if strings.Contains(f, want) {
			return f
		}
	}
}

// blockedWriter is a client that takes the stream's first write and then no other: later writes block
// until release is closed.
type blockedWriter struct {
	header  http.Header
	first   sync.Once
	once    sync.Once
	took    chan struct{} // closed by the first write
	blocked chan struct{}
	release chan struct{}
}

func (b *blockedWriter) Header() http.Header { return b.header }
func (b *blockedWriter) WriteHeader(int)     {}
func (b *blockedWriter) Flush()              {}
func (b *blockedWriter) Write(p []byte) (int, error) {
	taken := false
	b.first.Do(func() { taken = true; close(b.took) })
	if taken {
		return len(p), nil
	}
	b.once.Do(func() { close(b.blocked) })
	<-b.release
	return 0, io.ErrClosedPipe
}
