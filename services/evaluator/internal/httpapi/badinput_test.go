package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/streams"
	"github.com/halyard-flags/halyard/shared/badinput"
)

// bodyIgnored lists the routes that take a body and must not refuse any: posthog-js's ingestion routes,
// which discard what they are sent (capture.go). Every other POST, PUT or PATCH route reads its body and
// must refuse each input of the corpus.
var bodyIgnored = map[string]bool{}

func init() {
	for _, p := range capturePaths {
		bodyIgnored[p], bodyIgnored[p+"/"] = true, true
	}
}

// Memory and time a request of the corpus may take: a few times the 1 MiB body limit (the body read, a
// decompressed copy, the decoder's own), and well under a second.
const (
	maxAllocPerRequest = 8 * MaxBodyBytes
	maxTimePerRequest  = 2 * time.Second
)

// TestBadInputOnEveryRoute sends every input of the bad-input corpus to every route the evaluator serves,
// with valid keys: each answers a 4xx JSON error with a stable code (or, on a route that ignores its body, at
// least no server error), never a 500 or a panic, allocating a bounded amount of memory.
func TestBadInputOnEveryRoute(t *testing.T) {
	s, srv := streamServer(t, streams.Config{})
	srv.Close() // only its routes are wanted: the corpus is served in process, to measure it
	e := s.Handler()
	corpus := badinput.Corpus(MaxBodyBytes)
	worst := badinput.Worst{}
	defer worst.Log(t, corpus)
	for _, r := range e.Routes() {
		if r.Method == echoRouteNotFound {
			continue
		}
		path := strings.NewReplacer(":token", testSDKKey, ":key", "bool-on").Replace(r.Path)
		readsBody := (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) && !bodyIgnored[r.Path]
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			for _, in := range corpus {
				a := badinput.Send(e, r.Method, path, in, 300*time.Millisecond, "Authorization", "Bearer "+authFor(r.Path))
				checkBadInputAnswer(t, in, a, readsBody, strings.HasPrefix(r.Path, "/ofrep/"))
				worst.Note(in, r.Method+" "+r.Path, a)
			}
		})
	}
}

// echoRouteNotFound is the method echo lists its own not-found handlers under, if any.
const echoRouteNotFound = "echo_route_not_found"

// authFor is the key a route takes: the server key for the definitions, the SDK key elsewhere.
func authFor(path string) string {
	if strings.Contains(path, "local_evaluation") || strings.Contains(path, "definitions") {
		return testServerKey
	}
	return testSDKKey
}

// checkBadInputAnswer checks one answer. OFREP answers 401, 403 and 429 without an errorCode, as its
// protocol describes them.
func checkBadInputAnswer(tb testing.TB, in badinput.Input, a badinput.Answer, readsBody, ofrep bool) {
	tb.Helper()
	switch {
	case ofrep && (a.Status == http.StatusUnauthorized || a.Status == http.StatusForbidden || a.Status == http.StatusTooManyRequests):
		if !json.Valid(a.Body) {
			tb.Errorf("%s: %d %.300s, want a JSON body", in.Name, a.Status, a.Body)
		}
	case a.Status >= 500:
		tb.Errorf("%s: %d %.300s, want no server error", in.Name, a.Status, a.Body)
	case readsBody && (a.Status < 400 || badinput.ErrorCode(a.Body) == ""):
		tb.Errorf("%s: %d %.300s, want a 4xx JSON error with a code", in.Name, a.Status, a.Body)
	case a.Status >= 400 && a.Status != http.StatusMethodNotAllowed && badinput.ErrorCode(a.Body) == "":
		tb.Errorf("%s: %d %.300s, want a JSON error with a code", in.Name, a.Status, a.Body)
	}
	if len(in.Body) > MaxBodyBytes && a.Allocated > 3*MaxBodyBytes {
		tb.Errorf("%s: refusing a %d-byte body allocated %d bytes, want at most %d", in.Name, len(in.Body), a.Allocated, 3*MaxBodyBytes)
	}
	if in.Heavy && a.Allocated > maxAllocPerRequest+uint64(len(in.Body)) {
		tb.Errorf("%s: allocated %d bytes for a %d-byte body, want at most %d more", in.Name, a.Allocated, len(in.Body), maxAllocPerRequest)
	}
	if in.Heavy && a.Elapsed > maxTimePerRequest {
		tb.Errorf("%s: took %v, want at most %v", in.Name, a.Elapsed, maxTimePerRequest)
	}
}

// TestFormBodySaysWhatItExpected: a body curl -d sends without a Content-Type (so as a form) is refused
// with a message naming what /flags expects, not only that it is not base64.
func TestFormBodySaysWhatItExpected(t *testing.T) {
	_, h := testServer(t)
	tests := []struct{ name, body, want string }{
		{"JSON sent by curl -d", `{"token":"` + testSDKKey + `","distinct_id":"ada"}`,
			"the body is JSON but its Content-Type is application/x-www-form-urlencoded (what curl -d sends by default): send it with Content-Type: application/json"},
		{"neither JSON nor data=", `distinct_id=ada&token=x`,
			"a form body (Content-Type: application/x-www-form-urlencoded) must hold the request as base64-encoded JSON in data=; send plain JSON with Content-Type: application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, call{method: http.MethodPost, path: "/flags?v=2", body: []byte(tt.body),
				headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
			got := decode[errorBody](t, rec)
			want := errorBody{Type: "validation_error", Code: "failed_to_decode_request", Detail: tt.want}
			if rec.Code != http.StatusBadRequest {
				t.Errorf("status %d, want 400", rec.Code)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
