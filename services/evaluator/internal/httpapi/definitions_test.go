package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/shared/flag"
)

// TestLocalEvaluation: the payload PostHog's SDKs parse, behind the server key, with ETag → 304.
func TestLocalEvaluation(t *testing.T) {
	s, h := testServer(t)
	auth := map[string]string{"Authorization": "Bearer " + testServerKey}
	for _, path := range []string{"/api/feature_flag/local_evaluation?token=" + testSDKKey + "&send_cohorts", "/flags/definitions?send_cohorts"} {
		rec := do(t, h, call{method: http.MethodGet, path: path, headers: auth})
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		le, err := flag.ParseLocalEvaluation(rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(le.Flags) != 10 || le.GroupTypes[0] != "company" || len(le.Cohorts) != 1 || le.Cohorts[0].ID != 70 {
			t.Fatalf("payload: %d flags, groups %v, cohorts %+v", len(le.Flags), le.GroupTypes, le.Cohorts)
		}
		etag := rec.Header().Get("ETag")
		if !strings.HasPrefix(etag, `W/"`) || rec.Header().Get("Cache-Control") != "private, must-revalidate" {
			t.Fatalf("ETag %q, Cache-Control %q: want a weak ETag and private, must-revalidate", etag, rec.Header().Get("Cache-Control"))
		}
		for _, inm := range []string{etag, strings.TrimPrefix(etag, "W/"), `"other", ` + etag, "*"} {
			rec := do(t, h, call{method: http.MethodGet, path: path, headers: map[string]string{"Authorization": auth["Authorization"], "If-None-Match": inm}})
			if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag ||
				rec.Header().Get("Cache-Control") != "private, must-revalidate" {
				t.Errorf("If-None-Match %s: %d", inm, rec.Code)
			}
		}
		if rec := do(t, h, call{method: http.MethodGet, path: path, headers: map[string]string{"Authorization": auth["Authorization"], "If-None-Match": `"stale"`}}); rec.Code != 200 {
			t.Errorf("stale ETag: %d", rec.Code)
		}
	}

	// A new version of the environment has a new ETag.
	before := do(t, h, call{method: http.MethodGet, path: "/flags/definitions", headers: auth}).Header().Get("ETag")
	env, _ := s.Store.ByID(1)
	flags := append([]flag.Flag(nil), env.Snapshot.Flags[:3]...)
	s.Store.Apply(testSnapshot(flags, 2))
	rec := do(t, h, call{method: http.MethodGet, path: "/flags/definitions", headers: map[string]string{"Authorization": auth["Authorization"], "If-None-Match": before}})
	if rec.Code != 200 || rec.Header().Get("ETag") == before {
		t.Fatalf("after a change: %d, ETag %s (before %s)", rec.Code, rec.Header().Get("ETag"), before)
	}
	if le, _ := flag.ParseLocalEvaluation(rec.Body.Bytes()); len(le.Flags) != 3 {
		t.Errorf("after a change: %d flags, want 3", len(le.Flags))
	}
}

func TestLocalEvaluationAuth(t *testing.T) {
	_, h := testServer(t)
	for name, hdr := range map[string]string{"none": "", "sdk key": "Bearer " + testSDKKey, "unknown": "Bearer phs_nope", "not bearer": testServerKey} {
		rec := do(t, h, call{method: http.MethodGet, path: "/api/feature_flag/local_evaluation", headers: map[string]string{"Authorization": hdr}})
		if rec.Code != http.StatusUnauthorized || decode[errorBody](t, rec).Type != "authentication_error" {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
}

// TestPayloadsAreJSONStrings: payloads travel as JSON-encoded strings, as PostHog sends them, even when the
// definition stored raw JSON ("test": {"n":1} in testdata).
func TestPayloadsAreJSONStrings(t *testing.T) {
	_, h := testServer(t)
	rec := do(t, h, call{method: http.MethodGet, path: "/flags/definitions", headers: map[string]string{"Authorization": "Bearer " + testServerKey}})
	var doc struct {
		Flags []struct {
			Key     string
			Filters struct{ Payloads map[string]string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("payloads are not all strings: %v", err)
	}
	for _, f := range doc.Flags {
		if f.Key == "multi" && f.Filters.Payloads["test"] != `{"n":1}` {
			t.Errorf("multi payloads = %v", f.Filters.Payloads)
		}
	}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		body := mustJSON(t, map[string]any{"token": testSDKKey, "distinct_id": id, "flag_keys_to_evaluate": []string{"multi"}})
		a := decode[v2Answer](t, do(t, h, call{method: http.MethodPost, path: "/flags?v=2", body: body}))
		var s string
		if err := json.Unmarshal(a.Flags["multi"].Metadata.Payload, &s); err != nil {
			t.Errorf("%s: payload %s is not a JSON string", id, a.Flags["multi"].Metadata.Payload)
		}
	}
}
