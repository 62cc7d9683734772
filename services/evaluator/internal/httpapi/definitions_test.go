package httpapi

import (
	"net/http"
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
		if etag == "" {
			t.Fatal("no ETag")
		}
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			rec := do(t, h, call{method: http.MethodGet, path: path, headers: map[string]string{"Authorization": auth["Authorization"], "If-None-Match": inm}})
			if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag {
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
