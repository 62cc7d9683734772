package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/shared/badinput"
	"github.com/labstack/echo/v4"
)

// bodyIgnored lists the routes that change something without reading a body; every other POST, PUT or
// PATCH route must refuse each input of the corpus.
var bodyIgnored = map[string]bool{
	"/api/v1/environments/:env_id/flags/:key/restore": true,
}

// emptyBodyAccepted lists the routes an empty body means something on: toggle flips the flag.
var emptyBodyAccepted = map[string]bool{"/api/v1/environments/:env_id/flags/:key/toggle": true}

// streaming lists the routes whose answer goes on until the client leaves: the corpus ends them early.
var streaming = map[string]bool{"/api/v1/environments/:env_id/events": true}

// Memory a request of the corpus may allocate, per byte of its body: decoding 10,000 properties into
// maps, merging them as a patch and encoding them again costs 56 bytes per byte of body (7 MB for 128 KB),
// so the largest body the admin API takes costs at most 64 MiB. An oversized body is refused having read at
// most the limit.
const maxAllocPerBodyByte = 64

// TestBadInputOnEveryRoute sends every input of the bad-input corpus to every route the writer serves, on
// a real database holding the resources the paths name: each answers a 4xx JSON error with a stable code
// (or, on a route that reads no body, at least no server error), never a 500 or a panic, allocating a
// bounded amount of memory.
func TestBadInputOnEveryRoute(t *testing.T) {
	a := newAPI(t)
	names := badInputFixtures(a)
	e := a.h.(*echo.Echo).Routes()
	// Deletions last, so the other routes find what they name.
	slices.SortStableFunc(e, func(x, y *echo.Route) int {
		return boolInt(x.Method == http.MethodDelete) - boolInt(y.Method == http.MethodDelete)
	})
	worst := badinput.Worst{}
	defer worst.Log(t, append(badinput.Corpus(MaxBodyBytes), oversized(MaxUploadBytes)...))
	for _, r := range e {
		path := names.Replace(r.Path)
		readsBody := (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) && !bodyIgnored[r.Path]
		limit := int64(MaxBodyBytes)
		if uploadRoute(r.Method, r.Path) {
			limit = MaxUploadBytes
		}
		timeout := 10 * time.Second
		if streaming[r.Path] {
			timeout = 200 * time.Millisecond
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			for _, in := range append(badinput.Corpus(MaxBodyBytes), oversized(limit)...) {
				got := badinput.Send(a.h, r.Method, path, in, timeout, "Authorization", "Bearer "+a.token)
				checkBadInputAnswer(t, in, got, readsBody && !(len(in.Body) == 0 && emptyBodyAccepted[r.Path]), limit)
				worst.Note(in, r.Method+" "+r.Path, got)
			}
		})
	}
}

// badInputFixtures creates a project, an environment, a flag, a static cohort and a token, and returns
// what puts their ids into the routes' paths.
func badInputFixtures(a *api) *strings.Replacer {
	env := a.environment("bad input")
	a.ok(http.MethodPost, env.path("/flags"), map[string]any{"key": "f", "active": true, "filters": rollout("f", 50)["filters"]}, http.StatusCreated, nil)
	var cohort cohortAnswer
	a.ok(http.MethodPost, env.path("/cohorts"), map[string]any{"name": "beta", "is_static": true, "members": []string{"u1"}}, http.StatusCreated, &cohort)
	var token tokenAnswer
	a.ok(http.MethodPost, "/tokens", map[string]any{"name": "reader", "scopes": []string{"read"}}, http.StatusCreated, &token)
	return strings.NewReplacer(":project_id", idText(env.ProjectID), ":env_id", idText(env.ID), ":key_id", "1",
		":key", "f", ":cohort_id", idText(cohort.Cohort.ID), ":token_id", idText(token.ID))
}

// oversized is a body one byte over limit, with its length and without, for the upload routes' larger limit
// (the corpus's own oversized bodies cover the others).
func oversized(limit int64) []badinput.Input {
	if limit == MaxBodyBytes {
		return nil
	}
	out := []badinput.Input{badinput.Oversized(int(limit), false), badinput.Oversized(int(limit), true)}
	for i := range out {
		out[i].Name = strings.Replace(out[i].Name, "body", "upload", 1)
	}
	return out
}

func uploadRoute(method, path string) bool {
	for _, r := range routes {
		if r.upload && r.method == method && "/api/v1"+r.path == path {
			return true
		}
	}
	return false
}

func checkBadInputAnswer(tb testing.TB, in badinput.Input, a badinput.Answer, readsBody bool, limit int64) {
	tb.Helper()
	switch {
	case a.Status >= 500:
		tb.Errorf("%s: %d %.300s, want no server error", in.Name, a.Status, a.Body)
	case readsBody && (a.Status < 400 || badinput.ErrorCode(a.Body) == ""):
		tb.Errorf("%s: %d %.300s, want a 4xx JSON error with a code", in.Name, a.Status, a.Body)
	case a.Status >= 400 && badinput.ErrorCode(a.Body) == "":
		tb.Errorf("%s: %d %.300s, want a JSON error with a code", in.Name, a.Status, a.Body)
	}
	if n := int64(len(in.Body)); n > limit && a.Allocated > uint64(3*limit) {
		tb.Errorf("%s: refusing a %d-byte body allocated %d bytes, want at most %d", in.Name, n, a.Allocated, 3*limit)
	}
	if budget := uint64(maxAllocPerBodyByte*len(in.Body) + 1<<20); in.Heavy && a.Allocated > budget {
		tb.Errorf("%s: allocated %d bytes for a %d-byte body, want at most %d", in.Name, a.Allocated, len(in.Body), budget)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
