package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type v2Answer struct {
	Flags                     map[string]flagDetail `json:"flags"`
	ErrorsWhileComputingFlags bool                  `json:"errorsWhileComputingFlags"`
	RequestID                 string                `json:"requestId"`
	EvaluatedAt               int64                 `json:"evaluatedAt"`
	SupportedCompression      []string              `json:"supportedCompression"`
}

func gz(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// TestFlagsBodies: every body encoding PostHog's SDKs send decodes to the same request.
func TestFlagsBodies(t *testing.T) {
	_, h := testServer(t)
	js := mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "u1", "person_properties": map[string]any{"email": "ada@example.com"}})
	b64 := base64.StdEncoding.EncodeToString(js)
	cases := []struct {
		name string
		c    call
	}{
		{"json", call{body: js}},
		{"text/plain", call{body: js, headers: map[string]string{"Content-Type": "text/plain"}}},
		{"no content type", call{body: js, headers: map[string]string{"Content-Type": ""}}},
		{"gzip by query", call{path: "?compression=gzip", body: gz(t, js)}},
		{"gzip-js by query", call{path: "?compression=gzip-js", body: gz(t, js), headers: map[string]string{"Content-Type": "text/plain"}}},
		{"gzip by Content-Encoding", call{body: gz(t, js), headers: map[string]string{"Content-Encoding": "gzip"}}},
		{"gzip by magic bytes", call{body: gz(t, js)}},
		{"base64 by query", call{path: "?compression=base64", body: []byte(b64)}},
		{"base64 fallback, URL-encoded, no padding", call{body: []byte(url.QueryEscape(strings.TrimRight(b64, "=")))}},
		{"form data=", call{body: []byte("data=" + url.QueryEscape(b64)), headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}},
		{"form without data=", call{body: []byte(b64), headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}},
		{"$token", call{body: mustJSON(t, map[string]any{"$token": testSDKKey, "distinct_id": "u1", "person_properties": map[string]any{"email": "ada@example.com"}})}},
		{"api_key", call{body: mustJSON(t, map[string]any{"api_key": testSDKKey, "distinct_id": "u1", "person_properties": map[string]any{"email": "ada@example.com"}})}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.method = http.MethodPost
			c.path = "/flags/" + tc.c.path + sep(tc.c.path) + "v=2"
			rec := do(t, h, c)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			a := decode[v2Answer](t, rec)
			if f := a.Flags["email"]; !f.Enabled || f.Reason.Code != "condition_match" {
				t.Fatalf("email = %+v", f)
			}
		})
	}
}

func sep(q string) string {
	if q == "" {
		return "?"
	}
	return "&"
}

// TestFlagsErrors: PostHog's status codes with a JSON {type, code, detail} body.
func TestFlagsErrors(t *testing.T) {
	_, h := testServer(t)
	big := bytes.Repeat([]byte("a"), MaxBodyBytes+1)
	bomb := gz(t, append([]byte(`{"token":"`+testSDKKey+`","distinct_id":"u","x":"`), bytes.Repeat([]byte("a"), 2*MaxBodyBytes)...))
	cases := []struct {
		name   string
		c      call
		status int
		code   string
	}{
		{"not JSON", call{body: []byte("{nope")}, 400, "failed_to_decode_request"},
		{"empty body", call{body: []byte{}}, 400, "failed_to_decode_request"},
		{"bad gzip", call{body: []byte("xx"), headers: map[string]string{"Content-Encoding": "gzip"}}, 400, "failed_to_decode_request"},
		{"unknown compression", call{path: "?compression=lz4", body: []byte("{}")}, 400, "failed_to_decode_request"},
		{"unknown content type", call{body: []byte("{}"), headers: map[string]string{"Content-Type": "application/xml"}}, 400, "failed_to_decode_request"},
		{"no token", call{body: []byte(`{"distinct_id":"u"}`)}, 401, "missing_token"},
		{"unknown token", call{body: []byte(`{"token":"phc_nope","distinct_id":"u"}`)}, 401, "invalid_token"},
		{"no distinct_id", call{body: []byte(`{"token":"` + testSDKKey + `"}`)}, 400, "missing_distinct_id"},
		{"empty distinct_id", call{body: []byte(`{"token":"` + testSDKKey + `","distinct_id":""}`)}, 400, "missing_distinct_id"},
		{"too large", call{body: big}, 413, "body_too_large"},
		{"gzip bomb", call{body: bomb}, 413, "body_too_large"},
		{"PUT", call{method: http.MethodPut, body: []byte("{}")}, 405, "method_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			if c.method == "" {
				c.method = http.MethodPost
			}
			c.path = "/flags" + c.path
			rec := do(t, h, c)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			e := decode[errorBody](t, rec)
			if e.Code != tc.code || e.Detail == "" || e.Type == "" {
				t.Fatalf("error body %+v, want code %q", e, tc.code)
			}
		})
	}
}

// TestFlagsShapes: ?v= and the endpoint pick PostHog's answer shape.
func TestFlagsShapes(t *testing.T) {
	_, h := testServer(t)
	body := mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": 42, "person_properties": map[string]any{"email": "ada@example.com"},
		"flag_keys_to_evaluate": []string{"bool-on", "multi", "off"}})
	post := func(path string) map[string]any {
		rec := do(t, h, call{method: http.MethodPost, path: path, body: body})
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		return decode[map[string]any](t, rec)
	}
	multi := post("/flags?v=2")["flags"].(map[string]any)["multi"].(map[string]any)["variant"].(string)

	legacy := post("/flags?v=1")
	wantFF := map[string]any{"bool-on": true, "multi": multi} // "off" is inactive: PostHog leaves it out
	if d := cmp.Diff(wantFF, legacy["featureFlags"]); d != "" {
		t.Errorf("/flags?v=1 featureFlags mismatch (-want +got):\n%s", d)
	}
	payloads := legacy["featureFlagPayloads"].(map[string]any)
	if payloads["bool-on"] != `{"color":"blue"}` {
		t.Errorf("bool-on payload = %#v, want the stored JSON string", payloads["bool-on"])
	}
	if _, ok := payloads["off"]; ok {
		t.Errorf("a flag without payload has one: %v", payloads)
	}
	if _, ok := post("/flags")["flags"]; !ok {
		t.Errorf("/flags without v or config must answer the detailed shape")
	}
	if _, ok := post("/flags?config=true")["featureFlags"]; !ok {
		t.Errorf("/flags?config=true without v must answer the legacy shape")
	}
	if got := post("/decide/")["featureFlags"]; cmp.Diff([]any{"bool-on", "multi"}, sorted(got)) != "" {
		t.Errorf("/decide v1 featureFlags = %v", got)
	}
	if got := post("/decide?v=2")["featureFlags"]; cmp.Diff(map[string]any{"bool-on": true, "multi": multi}, got) != "" {
		t.Errorf("/decide v2 featureFlags = %v", got)
	}
	if _, ok := post("/decide?v=3")["featureFlagPayloads"]; !ok {
		t.Errorf("/decide v3 must be the legacy shape")
	}
	d4 := post("/decide?v=4")
	if _, ok := d4["flags"]; !ok || d4["supportedCompression"] == nil {
		t.Errorf("/decide v4 must be the detailed shape with config: %v", d4)
	}
}

func sorted(v any) []any {
	l, _ := v.([]any)
	out := append([]any(nil), l...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].(string) < out[i].(string) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestFlagsV2Detail pins the detailed shape of every flag kind.
func TestFlagsV2Detail(t *testing.T) {
	_, h := testServer(t)
	rid := "0b8a1f8e-6c3b-4a52-9a49-3c1f1d2e4b5a"
	body := mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "user-31",
		"person_properties": map[string]any{"email": "ada@example.com", "country": "NL"},
		"groups":            map[string]any{"company": 7}, "group_properties": map[string]any{"company": map[string]any{"plan": "enterprise"}}})
	rec := do(t, h, call{method: http.MethodPost, path: "/flags/?v=2", body: body, headers: map[string]string{"X-Request-Id": rid}})
	a := decode[v2Answer](t, rec)
	if a.RequestID != rid || a.EvaluatedAt == 0 || a.ErrorsWhileComputingFlags {
		t.Fatalf("requestId %q evaluatedAt %d errors %v", a.RequestID, a.EvaluatedAt, a.ErrorsWhileComputingFlags)
	}
	if len(a.Flags) != 9 {
		t.Fatalf("%d flags, want 9 (the inactive one is left out, as PostHog skips it)", len(a.Flags))
	}
	if _, ok := a.Flags["off"]; ok {
		t.Errorf("the inactive flag is in the answer: PostHog's matcher skips inactive flags")
	}
	on := a.Flags["bool-on"]
	if on.Metadata.ID != 1 || on.Metadata.Version != 3 || on.Metadata.Description == nil || *on.Metadata.Description != "the simplest flag" ||
		string(on.Metadata.Payload) != `"{\"color\":\"blue\"}"` || on.Reason.ConditionIndex == nil || *on.Reason.ConditionIndex != 0 ||
		on.Reason.Description != "Matched condition set 1" || on.Variant != nil {
		t.Errorf("bool-on = %+v", on)
	}
	for key, code := range map[string]string{"company": "condition_match", "depends": "condition_match", "dutch": "condition_match",
		"email": "condition_match"} {
		if f := a.Flags[key]; f.Reason.Code != code || f.Enabled != (code == "condition_match") {
			t.Errorf("%s = %+v, want %s", key, f, code)
		}
	}
	if e := a.Flags["email"]; string(e.Metadata.Payload) != "null" || e.Variant != nil {
		t.Errorf("email = %+v (a flag without payload has payload null)", e)
	}
	if m := a.Flags["multi"]; m.Variant == nil || !m.Enabled || len(m.Metadata.Payload) == 0 {
		t.Errorf("multi = %+v", m)
	}

	rec = do(t, h, call{method: http.MethodPost, path: "/flags?v=2", body: body})
	if id := decode[v2Answer](t, rec).RequestID; !isUUID(id) || id == rid {
		t.Errorf("new request id %q", id)
	}
}

// TestFlagsGroupKey: a group's key is its $group_key property.
func TestFlagsGroupKey(t *testing.T) {
	fr := &flagsRequest{DistinctID: "u", Groups: map[string]any{"company": 12.0, "team": "t"},
		GroupProperties: map[string]map[string]any{"team": {"$group_key": "kept"}}}
	ctx, err := evalContext(fr)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{"company": {"$group_key": "12"}, "team": {"$group_key": "kept"}}
	if d := cmp.Diff(want, ctx.GroupProperties); d != "" {
		t.Errorf("group properties mismatch (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"company": "12", "team": "t"}, ctx.Groups); d != "" {
		t.Errorf("groups mismatch (-want +got):\n%s", d)
	}
}

// TestFlagsNumbersKeepSerdeText: numeric ids and group keys are hashed as serde_json prints them (42.0
// stays "42.0"), and a boolean group key means no group (PostHog's hashed_identifier).
func TestFlagsNumbersKeepSerdeText(t *testing.T) {
	body := []byte(`{"token":"t","distinct_id":7.50,"groups":{"company":42.0,"team":true,"org":1e3},"person_properties":{"n":1.0}}`)
	fr, err := decodeFlagsRequest(httptest.NewRequest(http.MethodPost, "/flags", nil), body)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := evalContext(fr)
	if err != nil {
		t.Fatal(err)
	}
	if ctx.DistinctID != "7.5" {
		t.Errorf("distinct id = %q, want serde's 7.5", ctx.DistinctID)
	}
	if d := cmp.Diff(map[string]string{"company": "42.0", "org": "1000.0"}, ctx.Groups); d != "" {
		t.Errorf("groups mismatch (-want +got):\n%s", d)
	}
	if n, ok := ctx.PersonProperties["n"].(json.Number); !ok || n.String() != "1.0" {
		t.Errorf("person property n = %#v, want json.Number 1.0 for the engine's serde printing", ctx.PersonProperties["n"])
	}
}

// TestFlagsOtherMethods: GET, HEAD and OPTIONS as PostHog answers them; CORS for browsers.
func TestFlagsOtherMethods(t *testing.T) {
	_, h := testServer(t)
	rec := do(t, h, call{method: http.MethodGet, path: "/flags/?v=2"})
	if a := decode[v2Answer](t, rec); rec.Code != 200 || a.Flags == nil || len(a.Flags) != 0 || a.SupportedCompression == nil {
		t.Errorf("GET = %d %s", rec.Code, rec.Body)
	}
	rec = do(t, h, call{method: http.MethodGet, path: "/decide/"})
	if got := decode[map[string]any](t, rec)["featureFlags"]; cmp.Diff([]any{}, got) != "" {
		t.Errorf("GET /decide featureFlags = %v", got)
	}
	if rec := do(t, h, call{method: http.MethodHead, path: "/flags"}); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD = %d %q", rec.Code, rec.Body)
	}
	rec = do(t, h, call{method: http.MethodOptions, path: "/flags/", headers: map[string]string{"Origin": "https://app.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}})
	if rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "POST") || rec.Header().Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("preflight = %d %v", rec.Code, rec.Header())
	}
	if rec := do(t, h, call{method: http.MethodOptions, path: "/flags"}); rec.Code != 204 || !strings.Contains(rec.Header().Get("Allow"), "POST") {
		t.Errorf("OPTIONS = %d %v", rec.Code, rec.Header())
	}
	body := mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "u"})
	rec = do(t, h, call{method: http.MethodPost, path: "/flags?v=2", body: body, headers: map[string]string{"Origin": "https://app.example"}})
	if rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("CORS on POST: %v", rec.Header())
	}
}

// fakeLimiter refuses every request.
type fakeLimiter struct{}

func (fakeLimiter) Allow(string) (bool, time.Duration) { return false, 1500 * time.Millisecond }

// TestRateLimited: 429 with Retry-After in whole seconds, rounded up.
func TestRateLimited(t *testing.T) {
	s, h := testServer(t)
	s.Limiter = fakeLimiter{}
	rec := do(t, h, call{method: http.MethodPost, path: "/flags?v=2", body: mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "u"})})
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "2" || decode[errorBody](t, rec).Code != "rate_limited" {
		t.Errorf("/flags = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = do(t, h, call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/bool-on", body: []byte(`{"context":{"targetingKey":"u"}}`),
		headers: map[string]string{"Authorization": "Bearer " + testSDKKey}})
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "2" {
		t.Errorf("OFREP = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

var _ = json.Marshal
