package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRequestID: a sane X-Request-Id is echoed; a missing, too long or odd one is replaced by a new UUID;
// a PostHog answer's requestId is the request's id when that is a UUID.
func TestRequestID(t *testing.T) {
	const uuid = "0b8a1f8e-6c3b-4a52-9a49-3c1f1d2e4b5a"
	tests := []struct {
		name     string
		sent     string // "" sends none
		wantSame bool
	}{
		{name: "none"},
		{name: "UUID", sent: uuid, wantSame: true},
		{name: "other sane id", sent: "lb-7:trace_42.a", wantSame: true},
		{name: "128 characters", sent: strings.Repeat("a", 128), wantSame: true},
		{name: "129 characters", sent: strings.Repeat("a", 129)},
		{name: "space", sent: "a b"},
		{name: "newline", sent: "a\nb"},
		{name: "quote", sent: `a"b`},
	}
	_, h := testServer(t)
	body := mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "u"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{}
			if tt.sent != "" {
				headers["X-Request-Id"] = tt.sent
			}
			rec := do(t, h, call{method: http.MethodPost, path: "/flags?v=2", body: body, headers: headers})
			got := rec.Header().Get("X-Request-Id")
			if tt.wantSame && got != tt.sent || !tt.wantSame && !isUUID(got) {
				t.Errorf("X-Request-Id = %q; sent %q", got, tt.sent)
			}
			bodyID := decode[v2Answer](t, rec).RequestID
			if isUUID(got) && bodyID != got || !isUUID(bodyID) {
				t.Errorf("requestId %q, X-Request-Id %q", bodyID, got)
			}
		})
	}
	a := do(t, h, call{method: http.MethodGet, path: "/healthz"}).Header().Get("X-Request-Id")
	b := do(t, h, call{method: http.MethodGet, path: "/healthz"}).Header().Get("X-Request-Id")
	if !isUUID(a) || a == b {
		t.Errorf("generated ids %q and %q", a, b)
	}
}

// TestAccessLog: one line per request with its id, method, route, status, duration, size and remote
// address, and never a credential, whether sent in the body, a header or the query string, nor what the
// body says about the person.
func TestAccessLog(t *testing.T) {
	o := observedServer(t)
	q := "?token=" + url.QueryEscape(testSDKKey) + "&api_key=" + url.QueryEscape(testServerKey)
	flagsBody := mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": "secret-user", "person_properties": map[string]any{"email": "ada@example.com"}})
	calls := []call{
		{method: http.MethodPost, path: "/flags" + q + "&v=2", body: flagsBody, headers: map[string]string{"X-Request-Id": "client-1"}},
		{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/bool-on" + q, body: []byte(`{"context":{"targetingKey":"secret-user"}}`),
			headers: map[string]string{"Authorization": "Bearer " + testSDKKey}},
		{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags", body: []byte(`{"context":{"targetingKey":"secret-user"}}`),
			headers: map[string]string{"X-API-Key": testSDKKey}},
		{method: http.MethodGet, path: "/api/feature_flag/local_evaluation" + q, headers: map[string]string{"Authorization": "Bearer " + testServerKey}},
		{method: http.MethodGet, path: "/flags/definitions", headers: map[string]string{"Authorization": "Bearer not-" + testServerKey}},
		{method: http.MethodGet, path: "/nowhere/" + testSDKKey + q},
	}
	var ids []string
	for _, c := range calls {
		ids = append(ids, do(t, o.h, c).Header().Get("X-Request-Id"))
	}

	log := o.access.String()
	for _, secret := range []string{testSDKKey, testServerKey, url.QueryEscape(testSDKKey), "secret-user", "ada@example.com", "token="} {
		if strings.Contains(log, secret) {
			t.Errorf("the access log holds %q:\n%s", secret, log)
		}
	}
	type line struct {
		Msg, RequestID, Method, Route, Remote string
		Status                                int
		HasDuration, HasBytes                 bool
	}
	var got []line
	for _, e := range o.access.entries(t) {
		got = append(got, line{Msg: e["msg"].(string), RequestID: e["request_id"].(string), Method: e["method"].(string),
			Route: e["route"].(string), Remote: e["remote"].(string), Status: int(e["status"].(float64)),
			HasDuration: e["duration"] != nil, HasBytes: e["bytes"] != nil})
	}
	remote := "192.0.2.1:1234" // httptest.NewRequest's
	want := []line{
		{"request", ids[0], "POST", "/flags", remote, 200, true, true},
		{"request", ids[1], "POST", "/ofrep/v1/evaluate/flags/:key", remote, 200, true, true},
		{"request", ids[2], "POST", "/ofrep/v1/evaluate/flags", remote, 200, true, true},
		{"request", ids[3], "GET", "/api/feature_flag/local_evaluation", remote, 200, true, true},
		{"request", ids[4], "GET", "/flags/definitions", remote, 401, true, true},
		{"request", ids[5], "GET", "unmatched", remote, 404, true, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("access log mismatch (-want +got):\n%s", diff)
	}
	if ids[0] != "client-1" {
		t.Errorf("the client's request id became %q", ids[0])
	}
	if logs := o.logs.String(); strings.Contains(logs, testSDKKey) || strings.Contains(logs, testServerKey) {
		t.Errorf("the server's log holds a key:\n%s", logs)
	}
}
