package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type ofrepAnswer struct {
	Key          string         `json:"key"`
	Value        any            `json:"value"`
	Reason       string         `json:"reason"`
	Variant      string         `json:"variant"`
	Metadata     map[string]any `json:"metadata"`
	ErrorCode    string         `json:"errorCode"`
	ErrorDetails string         `json:"errorDetails"`
}

func ofrepCall(path, body string, headers ...string) call {
	h := map[string]string{"Authorization": "Bearer " + testSDKKey}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	return call{method: http.MethodPost, path: path, body: []byte(body), headers: h}
}

// TestOFREPOne pins values, reasons, variants and metadata for every flag kind.
func TestOFREPOne(t *testing.T) {
	_, h := testServer(t)
	ctx := `{"context":{"targetingKey":"user-31","email":"ada@example.com","country":"NL",
		"groups":{"company":7},"groupProperties":{"company":{"plan":"enterprise"}}}}`
	eval := func(key string) ofrepAnswer {
		rec := do(t, h, ofrepCall("/ofrep/v1/evaluate/flags/"+key, ctx))
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", key, rec.Code, rec.Body)
		}
		return decode[ofrepAnswer](t, rec)
	}
	on := eval("bool-on")
	want := ofrepAnswer{Key: "bool-on", Value: true, Reason: "TARGETING_MATCH", Variant: "true",
		Metadata: map[string]any{"flagId": 1.0, "flagSetId": "1", "version": "3", "reasonCode": "condition_match", "conditionIndex": 0.0, "payload": `{"color":"blue"}`}}
	if d := cmp.Diff(want, on); d != "" {
		t.Errorf("bool-on mismatch (-want +got):\n%s", d)
	}
	for key, reason := range map[string]string{"email": "TARGETING_MATCH", "company": "TARGETING_MATCH", "depends": "TARGETING_MATCH",
		"dutch": "TARGETING_MATCH", "off": "DISABLED"} {
		if a := eval(key); a.Reason != reason || a.Value != (reason == "TARGETING_MATCH") {
			t.Errorf("%s = %+v, want %s", key, a, reason)
		}
	}
	m := eval("multi")
	if v, ok := m.Value.(string); !ok || v != m.Variant || m.Metadata["payload"] == nil {
		t.Errorf("multi = %+v", m)
	}
	rec := do(t, h, ofrepCall("/ofrep/v1/evaluate/flags/multi-email", `{"context":{"targetingKey":"u","email":"bob@example.com"}}`))
	if a := decode[ofrepAnswer](t, rec); a.Value != false || a.Variant != "" || a.Reason != "DEFAULT" {
		t.Errorf("unmatched multivariate = %+v", a)
	}
	rec = do(t, h, ofrepCall("/ofrep/v1/evaluate/flags/company", `{"context":{"targetingKey":"u"}}`))
	if a := decode[ofrepAnswer](t, rec); a.Value != false || a.Reason != "DEFAULT" || a.Metadata["reasonCode"] != "no_group_type" {
		t.Errorf("group flag without the group = %+v", a)
	}
}

func TestOFREPPayloadText(t *testing.T) {
	for raw, want := range map[string]string{`"{\"a\":1}"`: `{"a":1}`, `{"a":1}`: `{"a":1}`, `1`: `1`, `"\"s\""`: `"s"`, `null`: ``, ``: ``} {
		if got := payloadText([]byte(raw)); got != want {
			t.Errorf("payloadText(%s) = %q, want %q", raw, got, want)
		}
	}
}

// TestOFREPErrors: OFREP's error codes and statuses.
func TestOFREPErrors(t *testing.T) {
	_, h := testServer(t)
	cases := []struct {
		name   string
		c      call
		status int
		code   string
	}{
		{"flag not found", ofrepCall("/ofrep/v1/evaluate/flags/nope", `{"context":{"targetingKey":"u"}}`), 404, "FLAG_NOT_FOUND"},
		{"no targeting key", ofrepCall("/ofrep/v1/evaluate/flags/bool-on", `{"context":{"email":"a"}}`), 400, "TARGETING_KEY_MISSING"},
		{"no context", ofrepCall("/ofrep/v1/evaluate/flags/bool-on", `{}`), 400, "TARGETING_KEY_MISSING"},
		{"empty body", ofrepCall("/ofrep/v1/evaluate/flags/bool-on", ``), 400, "TARGETING_KEY_MISSING"},
		{"bad JSON", ofrepCall("/ofrep/v1/evaluate/flags/bool-on", `{"context":`), 400, "PARSE_ERROR"},
		{"context not an object", ofrepCall("/ofrep/v1/evaluate/flags/bool-on", `{"context":[1]}`), 400, "INVALID_CONTEXT"},
		{"targeting key not a string", ofrepCall("/ofrep/v1/evaluate/flags/bool-on", `{"context":{"targetingKey":{"a":1}}}`), 400, "INVALID_CONTEXT"},
		{"groups not an object", ofrepCall("/ofrep/v1/evaluate/flags/bool-on", `{"context":{"targetingKey":"u","groups":"x"}}`), 400, "INVALID_CONTEXT"},
		{"bulk bad JSON", ofrepCall("/ofrep/v1/evaluate/flags", `nope`), 400, "PARSE_ERROR"},
		{"bulk no targeting key", ofrepCall("/ofrep/v1/evaluate/flags", `{"context":{}}`), 400, "TARGETING_KEY_MISSING"},
		{"no key", call{method: http.MethodPost, path: "/ofrep/v1/evaluate/flags/bool-on", body: []byte(`{"context":{"targetingKey":"u"}}`)}, 401, ""},
		{"unknown key", ofrepCall("/ofrep/v1/evaluate/flags/bool-on", `{"context":{"targetingKey":"u"}}`, "Authorization", "Bearer nope"), 403, ""},
		{"unknown X-API-Key", ofrepCall("/ofrep/v1/evaluate/flags", `{"context":{"targetingKey":"u"}}`, "Authorization", "", "X-API-Key", "nope"), 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, tc.c)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			a := decode[ofrepAnswer](t, rec)
			if a.ErrorCode != tc.code || a.ErrorDetails == "" {
				t.Fatalf("answer %+v, want errorCode %q", a, tc.code)
			}
			if tc.code != "" && strings.Contains(tc.c.path, "/flags/") && a.Key == "" {
				t.Errorf("single-flag failure without key: %+v", a)
			}
		})
	}
}

// TestOFREPBulk: every flag, sorted, with an ETag that turns an unchanged poll into a 304.
func TestOFREPBulk(t *testing.T) {
	_, h := testServer(t)
	body := `{"context":{"targetingKey":"user-31","email":"ada@example.com"}}`
	rec := do(t, h, ofrepCall("/ofrep/v1/evaluate/flags", body, "Authorization", "", "X-API-Key", testSDKKey))
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	a := decode[struct{ Flags []ofrepAnswer }](t, rec)
	if len(a.Flags) != 10 || a.Flags[0].Key != "bool-on" || a.Flags[0].Value != true {
		t.Fatalf("bulk = %+v", a.Flags)
	}
	etag := rec.Header().Get("ETag")
	if rec := do(t, h, ofrepCall("/ofrep/v1/evaluate/flags", body, "If-None-Match", etag)); rec.Code != 304 {
		t.Errorf("same context with ETag: %d", rec.Code)
	}
	other := `{"context":{"targetingKey":"user-31","email":"bob@example.com"}}`
	if rec := do(t, h, ofrepCall("/ofrep/v1/evaluate/flags", other, "If-None-Match", etag)); rec.Code != 200 {
		t.Errorf("other context with the old ETag: %d", rec.Code)
	}
	// A server key is accepted too.
	if rec := do(t, h, ofrepCall("/ofrep/v1/evaluate/flags", body, "Authorization", "Bearer "+testServerKey)); rec.Code != 200 {
		t.Errorf("server key: %d", rec.Code)
	}
}

// TestBulkETag: the bulk ETag is a strong tag, the same for the same body in every evaluator process (pinned:
// CRC-32 IEEE then CRC-32C of the bytes, as zlib.crc32 and any CRC-32C implementation compute them), and
// it is the one the bulk answer carries.
func TestBulkETag(t *testing.T) {
	if got, want := bulkETag([]byte(`{"flags":[]}`)), `"2c6af54d2bd48867"`; got != want {
		t.Errorf("bulkETag({\"flags\":[]}) = %s, want %s", got, want)
	}
	if a, b := bulkETag([]byte(`{"flags":[{"value":true}]}`)), bulkETag([]byte(`{"flags":[{"value":false}]}`)); a == b {
		t.Errorf("two bodies share the ETag %s", a)
	}
	_, h := testServer(t)
	rec := do(t, h, ofrepCall("/ofrep/v1/evaluate/flags", `{"context":{"targetingKey":"user-31"}}`, "X-API-Key", testSDKKey))
	if got, want := rec.Header().Get("ETag"), bulkETag(rec.Body.Bytes()); got != want {
		t.Errorf("ETag %s, want %s for the body sent", got, want)
	}
}
