package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sseEvent is one server-sent event, or a comment (kind "comment", data its text).
type sseEvent struct {
	kind, data string
}

// sseStream is an open GET …/events, read in the background.
type sseStream struct {
	tb     testing.TB
	resp   *http.Response
	events chan sseEvent // closed when the stream ends
	cancel context.CancelFunc
}

// openEvents opens path's event stream on srv with the API's token.
func (a *api) openEvents(srv *httptest.Server, path string) *sseStream {
	a.tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1"+path, nil)
	if err != nil {
		a.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		a.tb.Fatal(err)
	}
	s := &sseStream{tb: a.tb, resp: resp, events: make(chan sseEvent, 16), cancel: cancel}
	a.tb.Cleanup(s.close)
	go s.read()
	return s
}

// read parses the stream into events until it ends.
func (s *sseStream) read() {
	defer close(s.events)
	r := bufio.NewReader(s.resp.Body)
	var ev sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, ":"):
			s.events <- sseEvent{kind: "comment", data: strings.TrimSpace(line[1:])}
		case strings.HasPrefix(line, "event: "):
			ev.kind = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data += line[len("data: "):]
		case line == "" && ev != (sseEvent{}):
			s.events <- ev
			ev = sseEvent{}
		}
	}
}

// next returns the next event of kind within d, skipping others; it fails the test at the deadline or when
// the stream ends.
func (s *sseStream) next(kind string, d time.Duration) sseEvent {
	s.tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.tb.Fatalf("the stream ended while waiting %v for a %s event", d, kind)
			}
			if ev.kind == kind {
				return ev
			}
		case <-deadline:
			s.tb.Fatalf("no %s event within %v", kind, d)
		}
	}
}

// version decodes a version event's data.
func (s *sseStream) version(d time.Duration) versionEvent {
	s.tb.Helper()
	ev := s.next("version", d)
	var v versionEvent
	if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
		s.tb.Fatalf("version event data %q: %v", ev.data, err)
	}
	return v
}

// ended waits up to d for the stream to end.
func (s *sseStream) ended(d time.Duration) {
	s.tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-deadline:
			s.tb.Fatalf("the stream did not end within %v", d)
		}
	}
}

func (s *sseStream) close() {
	s.cancel()
	s.resp.Body.Close()
}

type versionEvent struct {
	EnvironmentID int64 `json:"environment_id"`
	Version       int64 `json:"version"`
}

// waitFor polls cond every 10 ms until it holds, failing the test after d.
func waitFor(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v", what, d)
		}
	}
}

// TestEvents: a stream starts with the environment's version, tells every stream of the environment about
// a change within 2 s, sends heartbeats when idle, and is forgotten when its client goes.
func TestEvents(t *testing.T) {
	a := newAPI(t)
	srv := httptest.NewServer(a.h)
	defer srv.Close()
	env := a.environment("events")
	a.ok(http.MethodPost, env.path("/flags"), map[string]any{"key": "live"}, http.StatusCreated, nil)

	first := a.openEvents(srv, env.path("/events"))
	if ct := first.resp.Header.Get("Content-Type"); first.resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("GET events: %d, Content-Type %q", first.resp.StatusCode, ct)
	}
	if diff := cmp.Diff(versionEvent{EnvironmentID: env.ID, Version: 2}, first.version(2*time.Second)); diff != "" {
		t.Fatalf("first event mismatch (-want +got):\n%s", diff)
	}
	others := []*sseStream{a.openEvents(srv, env.path("/events")), a.openEvents(srv, env.path("/events"))}
	for _, s := range others {
		s.version(2 * time.Second)
	}
	if n := a.events.streams(env.ID); n != 3 {
		t.Errorf("%d streams followed, want 3", n)
	}

	var changed struct {
		EnvironmentVersion int64 `json:"environment_version"`
	}
	a.ok(http.MethodPatch, env.path("/flags/live"), map[string]any{"active": false}, http.StatusOK, &changed)
	want := versionEvent{EnvironmentID: env.ID, Version: changed.EnvironmentVersion}
	for i, s := range append(others, first) {
		if diff := cmp.Diff(want, s.version(2*time.Second)); diff != "" {
			t.Errorf("stream %d: event after the change mismatch (-want +got):\n%s", i, diff)
		}
	}
	if ev := first.next("comment", 3*testHeartbeat); ev.data != "heartbeat" {
		t.Errorf("comment %q, want heartbeat", ev.data)
	}

	for _, s := range others {
		s.close()
	}
	waitFor(t, 2*time.Second, "the closed streams are forgotten", func() bool { return a.events.streams(env.ID) == 1 })
	first.close()
	waitFor(t, 2*time.Second, "the environment is no longer followed", func() bool { return a.events.streams(env.ID) == 0 })
}

// TestEventsEnd: the writer's shutdown (the feed's Run ending) ends every stream, and refuses new ones.
func TestEventsEnd(t *testing.T) {
	a := newAPI(t)
	srv := httptest.NewServer(a.h)
	defer srv.Close()
	env := a.environment("events-end")
	s := a.openEvents(srv, env.path("/events"))
	s.version(2 * time.Second)
	a.stopEvents()
	s.ended(2 * time.Second)
	a.fails(http.MethodGet, env.path("/events"), nil, http.StatusServiceUnavailable, "shutting_down")
}

// TestEventsErrors: a missing environment and a missing token are refused before the stream starts.
func TestEventsErrors(t *testing.T) {
	a := newAPI(t)
	env := a.environment("events-errors")
	a.fails(http.MethodGet, "/environments/999/events", nil, http.StatusNotFound, "environment_not_found")
	a.fails(http.MethodGet, "/environments/x/events", nil, http.StatusBadRequest, "invalid_env_id")
	a.as("").fails(http.MethodGet, env.path("/events"), nil, http.StatusUnauthorized, "unauthenticated")
	if n := a.events.streams(999); n != 0 {
		t.Errorf("%d streams of a missing environment", n)
	}
}
