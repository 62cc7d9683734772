package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/streams"
	"github.com/halyard-flags/halyard/shared/flag"
)

// streamServer is testServer with change streams, served over loopback until the test ends.
func streamServer(tb testing.TB, cfg streams.Config) (*Server, *httptest.Server) {
	tb.Helper()
	s, _ := testServer(tb)
	hub := streams.NewHub(s.Store, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	go hub.Run(ctx)
	s.Streams = &Streams{Hub: hub, Signer: streams.NewSigner([]byte("a-secret-of-at-least-thirty-two-chars"), time.Hour),
		RefetchWait: 300 * time.Millisecond}
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(func() { cancel(); srv.Close() })
	return s, srv
}

// bumpVersion applies testdata/flags.json again at version v.
func bumpVersion(tb testing.TB, s *Server, v int64) {
	tb.Helper()
	b, err := os.ReadFile("testdata/flags.json")
	if err != nil {
		tb.Fatal(err)
	}
	var flags []flag.Flag
	if err := json.Unmarshal(b, &flags); err != nil {
		tb.Fatal(err)
	}
	snap := testSnapshot(flags, v)
	snap.PublishedAt = 1764000000000 + v*1000
	if !s.Store.Apply(snap) {
		tb.Fatalf("v%d not applied", v)
	}
}

type bulkAnswer struct {
	status int
	etag   string
	body   struct {
		Flags        []json.RawMessage `json:"flags"`
		EventStreams []struct {
			Type     string `json:"type"`
			URL      string `json:"url"`
			Endpoint struct {
				RequestURI string `json:"requestUri"`
			} `json:"endpoint"`
			InactivityDelaySec int `json:"inactivityDelaySec"`
		} `json:"eventStreams"`
	}
	header http.Header
}

func bulk(tb testing.TB, srv *httptest.Server, query string, header map[string]string) bulkAnswer {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/ofrep/v1/evaluate/flags"+query,
		strings.NewReader(`{"context":{"targetingKey":"u1"}}`))
	req.Header.Set("Authorization", "Bearer "+testSDKKey)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	a := bulkAnswer{status: resp.StatusCode, etag: resp.Header.Get("ETag"), header: resp.Header}
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
			tb.Fatal(err)
		}
	}
	return a
}

// sseStream is an open event stream, read frame by frame.
type sseStream struct {
	resp   *http.Response
	frames chan string
}

func openStream(tb testing.TB, rawURL string, header map[string]string) (*http.Response, *sseStream) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	s := &sseStream{resp: resp, frames: make(chan string, 100)}
	go func() {
		defer close(s.frames)
		sc := bufio.NewScanner(resp.Body)
		var frame []string
		for sc.Scan() {
			if sc.Text() != "" {
				frame = append(frame, sc.Text())
				continue
			}
			s.frames <- strings.Join(frame, "\n")
			frame = nil
		}
	}()
	return resp, s
}

func (s *sseStream) next(tb testing.TB, total time.Duration) string {
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

func (s *sseStream) nextMatching(tb testing.TB, total time.Duration, want string) string {
	tb.Helper()
	deadline := time.Now().Add(total)
	for {
		if f := s.next(tb, time.Until(deadline)); strings.Contains(f, want) {
			return f
		}
	}
}

// TestBulkAdvertisesEventStream: the bulk answer names an SSE stream by a path carrying a signed token
// (never the SDK key), the same in every answer of the token's half-lifetime, so ETags and 304s still work.
func TestBulkAdvertisesEventStream(t *testing.T) {
	_, srv := streamServer(t, streams.Config{})
	a := bulk(t, srv, "", nil)
	if a.status != http.StatusOK || len(a.body.EventStreams) != 1 {
		t.Fatalf("status %d, eventStreams %+v", a.status, a.body.EventStreams)
	}
	es := a.body.EventStreams[0]
	if es.Type != "sse" || es.URL != "" || es.InactivityDelaySec != 120 || !strings.HasPrefix(es.Endpoint.RequestURI, "/ofrep/v1/stream?token=") {
		t.Fatalf("eventStreams[0] = %+v", es)
	}
	if strings.Contains(es.Endpoint.RequestURI, testSDKKey) {
		t.Fatal("the stream URL carries the SDK key")
	}
	again := bulk(t, srv, "", map[string]string{"If-None-Match": a.etag})
	if again.status != http.StatusNotModified {
		t.Fatalf("If-None-Match with the same answer: %d, want 304", again.status)
	}
}

func TestBulkAdvertisesAbsoluteURL(t *testing.T) {
	s, srv := streamServer(t, streams.Config{})
	s.Streams.BaseURL = "https://flags.example.com/"
	es := bulk(t, srv, "", nil).body.EventStreams[0]
	if !strings.HasPrefix(es.URL, "https://flags.example.com/ofrep/v1/stream?token=") || es.Endpoint.RequestURI != "" {
		t.Fatalf("eventStreams[0] = %+v", es)
	}
}

func TestOFREPStreamRefusesBadTokens(t *testing.T) {
	s, srv := streamServer(t, streams.Config{})
	exp := time.Now().Add(time.Hour).Unix()
	for _, tc := range []struct{ name, token string }{
		{"none", ""},
		{"the SDK key", testSDKKey},
		{"forged", s.Streams.Signer.Sign(1, exp)[:10] + "x" + s.Streams.Signer.Sign(1, exp)[11:]},
		{"another secret", streams.NewSigner(nil, time.Hour).Issue(1)},
		{"expired", s.Streams.Signer.Sign(1, time.Now().Unix()-1)},
		{"an environment not served here", s.Streams.Signer.Issue(99)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := openStream(t, srv.URL+"/ofrep/v1/stream?token="+url.QueryEscape(tc.token), nil)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
		})
	}
}

// TestOFREPStream: the advertised stream announces a new version as a refetchEvaluation message with the
// version as its id; a reconnect with Last-Event-ID behind the current version is told at once.
func TestOFREPStream(t *testing.T) {
	s, srv := streamServer(t, streams.Config{Heartbeat: 50 * time.Millisecond})
	streamURL := srv.URL + bulk(t, srv, "", nil).body.EventStreams[0].Endpoint.RequestURI
	resp, st := openStream(t, streamURL, nil)
	if got := resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Fatalf("Content-Type %q", got)
	}
	if f := st.next(t, time.Second); !strings.HasPrefix(f, "retry: ") {
		t.Fatalf("first frame %q", f)
	}
	st.nextMatching(t, time.Second, ": ping") // heartbeat
	bumpVersion(t, s, 2)
	want := "id: 2\nevent: message\ndata: {\"type\":\"refetchEvaluation\",\"etag\":\"\\\"v2\\\"\",\"lastModified\":1764000002}"
	if diff := cmp.Diff(want, st.nextMatching(t, time.Second, "id: ")); diff != "" {
		t.Fatalf("event mismatch (-want +got):\n%s", diff)
	}

	_, resumed := openStream(t, streamURL, map[string]string{"Last-Event-ID": "1"})
	resumed.next(t, time.Second) // retry
	if f := resumed.next(t, time.Second); !strings.HasPrefix(f, "id: 2\nevent: message\n") {
		t.Fatalf("resumed behind: first event %q", f)
	}
	_, current := openStream(t, streamURL, map[string]string{"Last-Event-ID": "2"})
	current.next(t, time.Second) // retry
	if f := current.next(t, time.Second); f != ": ping" {
		t.Fatalf("resumed at the current version: %q, want nothing but heartbeats", f)
	}
}

// TestRefetchMetadata: a refetch naming a version this replica has not applied waits for it (and answers
// 503 with Retry-After if it does not come in time); a version it has, or metadata it does not know, is
// answered at once, and If-None-Match still gives 304.
func TestRefetchMetadata(t *testing.T) {
	s, srv := streamServer(t, streams.Config{})
	bumpVersion(t, s, 2)
	first := bulk(t, srv, "", nil)
	q := func(k, v string) string { return "?" + k + "=" + url.QueryEscape(v) }

	for _, query := range []string{q("flagConfigEtag", streams.ETag(1)), q("flagConfigEtag", streams.ETag(2)),
		q("flagConfigEtag", "some other server's etag"), q("flagConfigLastModified", "1764000002"),
		q("flagConfigLastModified", "2025-11-24T16:00:02Z"), q("flagConfigLastModified", "yesterday")} {
		if a := bulk(t, srv, query, map[string]string{"If-None-Match": first.etag}); a.status != http.StatusNotModified {
			t.Errorf("%s: status %d, want 304 at once", query, a.status)
		}
	}

	a := bulk(t, srv, q("flagConfigEtag", streams.ETag(3)), nil)
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "1" {
		t.Fatalf("v3 never applied: status %d, Retry-After %q; want 503, 1", a.status, a.header.Get("Retry-After"))
	}
	go func() {
		time.Sleep(50 * time.Millisecond) // applied while the refetch waits
		bumpVersion(t, s, 3)
	}()
	for _, query := range []string{q("flagConfigEtag", streams.ETag(3)), q("flagConfigLastModified", "1764000003")} {
		if a := bulk(t, srv, query, nil); a.status != http.StatusOK {
			t.Fatalf("%s applied while waiting: status %d", query, a.status)
		}
	}
	if a := bulk(t, srv, q("flagConfigLastModified", "1764000009"), nil); a.status != http.StatusServiceUnavailable {
		t.Fatalf("a lastModified never reached: status %d, want 503", a.status)
	}
}

// TestPostHogStream follows PostHog's gateway: 400 for a bad kind or no token, 401 for an unknown one;
// otherwise retry:, then version beacons whose id is the version (for definitions, the definitions ETag).
func TestPostHogStream(t *testing.T) {
	s, srv := streamServer(t, streams.Config{Stagger: 2 * time.Second})
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"?token=" + testSDKKey, http.StatusBadRequest},
		{"?token=" + testSDKKey + "&kind=flags", http.StatusBadRequest},
		{"?kind=definitions", http.StatusBadRequest},
		{"?kind=definitions&token=phc_unknown", http.StatusUnauthorized},
	} {
		if resp, _ := openStream(t, srv.URL+"/stream/v1"+tc.query, nil); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.query, resp.StatusCode, tc.want)
		}
	}

	_, defs := openStream(t, srv.URL+"/stream/v1?kind=definitions&token="+testSDKKey, nil)
	_, remote := openStream(t, srv.URL+"/stream/v1?kind=remote_eval", map[string]string{"Authorization": "Bearer " + testServerKey})
	for _, st := range []*sseStream{defs, remote} {
		if f := st.next(t, time.Second); !strings.HasPrefix(f, "retry: ") {
			t.Fatalf("first frame %q", f)
		}
	}
	etag := do(t, s.Handler(), call{method: http.MethodGet, path: "/flags/definitions",
		headers: map[string]string{"Authorization": "Bearer " + testServerKey}}).Header().Get("ETag")
	v := strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	want := fmt.Sprintf("event: version\nid: %s\ndata: {\"kind\":\"definitions\",\"version\":%q,\"stagger_window_s\":2}", v, v)
	if diff := cmp.Diff(want, defs.next(t, time.Second)); diff != "" {
		t.Fatalf("definitions beacon mismatch (-want +got):\n%s", diff)
	}
	remote.nextMatching(t, time.Second, `"version":"0000000000000001"`)

	bumpVersion(t, s, 2)
	remote.nextMatching(t, time.Second, "id: 0000000000000002\n")
	// The definitions did not change (the same flags at a new version): its beacon repeats the version.
	defs.nextMatching(t, time.Second, "id: "+v+"\n")
}
