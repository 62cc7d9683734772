package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
)

// routeCalls is one request per SDK route, naming the version through how.
func routeCalls(how func(*call)) map[string]call {
	flagsBody := []byte(`{"token":"` + testSDKKey + `","distinct_id":"user-1"}`)
	ofrepBody := []byte(`{"context":{"targetingKey":"user-1"}}`)
	bearer := func(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }
	calls := map[string]call{
		"flags":       {method: http.MethodPost, path: "/flags/?v=2", body: flagsBody, headers: map[string]string{}},
		"decide":      {method: http.MethodPost, path: "/decide/?v=4", body: flagsBody, headers: map[string]string{}},
		"ofrep one":   {method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/bool-on", body: ofrepBody, headers: bearer(testSDKKey)},
		"ofrep bulk":  {method: http.MethodPost, path: "/ofrep/v1/evaluate/flags", body: ofrepBody, headers: bearer(testSDKKey)},
		"definitions": {method: http.MethodGet, path: "/flags/definitions", headers: bearer(testServerKey)},
	}
	for name, c := range calls {
		how(&c)
		calls[name] = c
	}
	return calls
}

func withHeader(v string) func(*call) {
	return func(c *call) { c.headers[headerMinVersion] = v }
}

func withQuery(v string) func(*call) {
	return func(c *call) {
		sep := "?"
		if strings.Contains(c.path, "?") {
			sep = "&"
		}
		c.path += sep + queryMinVersion + "=" + v
	}
}

type rywOutcome struct {
	Status     int
	Version    string // Halyard-Environment-Version
	RetryAfter string
	Code       string // PostHog's code, or OFREP's errorCode
}

func outcomeOf(tb testing.TB, rec *httptest.ResponseRecorder) rywOutcome {
	tb.Helper()
	o := rywOutcome{Status: rec.Code, Version: rec.Header().Get(headerEnvironmentVersion), RetryAfter: rec.Header().Get("Retry-After")}
	if rec.Code >= 400 {
		var body struct {
			Code      string `json:"code"`
			ErrorCode string `json:"errorCode"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			tb.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		o.Code = body.Code + body.ErrorCode
	}
	return o
}

// TestMinVersionRoutes: every SDK route answers a version it holds, refuses one it does not with 503 in its
// own error shape, and a malformed version with 400; the header and the query parameter are equivalent.
func TestMinVersionRoutes(t *testing.T) {
	s, h := testServer(t) // the environment is at version 1
	s.MinVersionWait = 0
	posthog := map[string]bool{"flags": true, "decide": true, "definitions": true}
	for _, tc := range []struct {
		name string
		how  func(*call)
		want func(route string) rywOutcome
	}{
		{"none", func(*call) {}, func(string) rywOutcome { return rywOutcome{Status: 200} }},
		{"header at version", withHeader("1"), func(string) rywOutcome { return rywOutcome{Status: 200, Version: "1"} }},
		{"query below version", withQuery("0"), func(string) rywOutcome { return rywOutcome{Status: 200, Version: "1"} }},
		{"header ahead", withHeader("2"), func(r string) rywOutcome {
			if posthog[r] {
				return rywOutcome{Status: 503, Version: "1", RetryAfter: "1", Code: "version_not_available"}
			}
			return rywOutcome{Status: 503, Version: "1", RetryAfter: "1", Code: "GENERAL"}
		}},
		{"query ahead", withQuery("7"), func(r string) rywOutcome {
			if posthog[r] {
				return rywOutcome{Status: 503, Version: "1", RetryAfter: "1", Code: "version_not_available"}
			}
			return rywOutcome{Status: 503, Version: "1", RetryAfter: "1", Code: "GENERAL"}
		}},
		{"malformed", withHeader("v2"), func(r string) rywOutcome {
			if posthog[r] {
				return rywOutcome{Status: 400, Code: "invalid_min_version"}
			}
			return rywOutcome{Status: 400, Code: "PARSE_ERROR"}
		}},
		{"negative", withQuery("-1"), func(r string) rywOutcome {
			if posthog[r] {
				return rywOutcome{Status: 400, Code: "invalid_min_version"}
			}
			return rywOutcome{Status: 400, Code: "PARSE_ERROR"}
		}},
	} {
		for route, c := range routeCalls(tc.how) {
			got := outcomeOf(t, do(t, h, c))
			if d := cmp.Diff(tc.want(route), got); d != "" {
				t.Errorf("%s, %s: mismatch (-want +got):\n%s", tc.name, route, d)
			}
		}
	}
}

// TestMinVersionWaits: a request naming the next version is answered from it as soon as it is applied.
func TestMinVersionWaits(t *testing.T) {
	b, err := os.ReadFile("testdata/flags.json")
	if err != nil {
		t.Fatal(err)
	}
	var flags []flag.Flag
	if err := json.Unmarshal(b, &flags); err != nil {
		t.Fatal(err)
	}
	hundred := 100.0
	flags = append(flags, flag.Flag{ID: 99, Key: "brand-new", Active: true, Version: 1,
		Filters: flag.Filters{Groups: []flag.Condition{{Properties: []flag.Property{}, RolloutPercentage: &hundred}}}})
	calls := routeCalls(withHeader("2"))
	calls["ofrep brand-new"] = call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/brand-new",
		body: []byte(`{"context":{"targetingKey":"u"}}`), headers: map[string]string{"Authorization": "Bearer " + testSDKKey, headerMinVersion: "2"}}
	for route, c := range calls {
		s, h := testServer(t)
		s.MinVersionWait = 10 * time.Second
		done := make(chan *httptest.ResponseRecorder)
		go func() { done <- do(t, h, c) }()
		s.Store.Apply(testSnapshot(flags, 2))
		rec := <-done
		if got := outcomeOf(t, rec); got.Status != 200 || got.Version != "2" {
			t.Errorf("%s: %+v %s", route, got, rec.Body)
		}
	}
}

// TestMinVersionNewEnvironment: a key the evaluator does not know yet is waited for like a version.
func TestMinVersionNewEnvironment(t *testing.T) {
	s, h := testServer(t)
	s.MinVersionWait = 10 * time.Second
	env2 := &wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: 2, Version: 5,
		Keys: []wire.Key{{Kind: wire.KindSDK, Value: "phc_new_env"}}}
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		done <- do(t, h, call{method: http.MethodPost, path: "/flags/?v=2&min_version=5",
			body: []byte(`{"token":"phc_new_env","distinct_id":"u"}`)})
	}()
	s.Store.Apply(env2)
	if got := outcomeOf(t, <-done); got.Status != 200 || got.Version != "5" {
		t.Errorf("new environment: %+v", got)
	}
	s.MinVersionWait = 0
	rec := do(t, h, call{method: http.MethodPost, path: "/flags/?v=2&min_version=1", body: []byte(`{"token":"phc_nobody","distinct_id":"u"}`)})
	if got := outcomeOf(t, rec); got.Status != 401 || got.Code != "invalid_token" {
		t.Errorf("unknown key: %+v", got)
	}
}

// TestMinVersionCORS: a browser may send Halyard-Min-Version and read Halyard-Environment-Version.
func TestMinVersionCORS(t *testing.T) {
	_, h := testServer(t)
	rec := do(t, h, call{method: http.MethodOptions, path: "/flags/", headers: map[string]string{"Origin": "https://app.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,halyard-min-version"}})
	if got := rec.Header().Get("Access-Control-Allow-Headers"); got != "content-type,halyard-min-version" {
		t.Errorf("preflight allows %q", got)
	}
	rec = do(t, h, call{method: http.MethodPost, path: "/flags/?v=2", body: []byte(`{"token":"` + testSDKKey + `","distinct_id":"u"}`),
		headers: map[string]string{"Origin": "https://app.example", headerMinVersion: "1"}})
	if got := rec.Header().Get("Access-Control-Expose-Headers"); !strings.Contains(got, headerEnvironmentVersion) {
		t.Errorf("exposed headers %q", got)
	}
}
