package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"go.uber.org/zap"
)

// wantRemoteConfig is the configuration of the test environment, as posthog-js reads it.
func wantRemoteConfig(hasFlags bool) map[string]any {
	return map[string]any{
		"token": testSDKKey, "supportedCompression": []any{"gzip", "gzip-js"}, "hasFeatureFlags": hasFlags,
		"captureDeadClicks": false, "capturePerformance": false, "autocapture_opt_out": true,
		"autocaptureExceptions": false, "elementsChainAsString": true,
		"errorTracking":    map[string]any{"autocaptureExceptions": false, "suppressionRules": []any{}},
		"logs":             map[string]any{"captureConsoleLogs": false},
		"sessionRecording": false, "heatmaps": false, "conversations": false,
		"productTours": false, "defaultIdentifiedOnly": true, "siteApps": []any{},
	}
}

// TestRemoteConfigJSON: /array/<token>/config is PostHog's configuration with every optional product off,
// for the environment of the token; other tokens are errors in PostHog's shape.
func TestRemoteConfigJSON(t *testing.T) {
	_, h := testServer(t)
	cases := []struct {
		name       string
		path       string
		wantStatus int
		want       map[string]any
	}{
		{"known token", "/array/" + testSDKKey + "/config", 200, wantRemoteConfig(true)},
		{"unknown token", "/array/phc_nobody/config", 404,
			map[string]any{"type": "validation_error", "code": "invalid_token", "detail": "no environment has this project token"}},
		{"malformed token", "/array/a.b/config", 400,
			map[string]any{"type": "validation_error", "code": "invalid_token", "detail": "the project token in the path is malformed"}},
		{"server key is not a project token", "/array/" + testServerKey + "/config", 404,
			map[string]any{"type": "validation_error", "code": "invalid_token", "detail": "no environment has this project token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, call{method: http.MethodGet, path: tc.path})
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if d := cmp.Diff(tc.want, decode[map[string]any](t, rec)); d != "" {
				t.Errorf("mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestRemoteConfigHasFeatureFlags: an environment without flags says so, so posthog-js skips /flags; the
// answer is not cached, so the next page load sees flags added since.
func TestRemoteConfigHasFeatureFlags(t *testing.T) {
	st := store.New()
	st.Apply(testSnapshot(nil, 1))
	s := &Server{Store: st, Ready: &atomic.Bool{}, Log: zap.NewNop()}
	rec := do(t, s.Handler(), call{method: http.MethodGet, path: "/array/" + testSDKKey + "/config"})
	if d := cmp.Diff(wantRemoteConfig(false), decode[map[string]any](t, rec)); d != "" {
		t.Errorf("mismatch (-want +got):\n%s", d)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
}

// TestRemoteConfigJS: config.js is a script that stores the same configuration where posthog-js reads it
// (window._POSTHOG_REMOTE_CONFIG[token].config), with no site apps.
func TestRemoteConfigJS(t *testing.T) {
	_, h := testServer(t)
	rec := do(t, h, call{method: http.MethodGet, path: "/array/" + testSDKKey + "/config.js"})
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/javascript") {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	js := rec.Body.String()
	prefix := "(function() {\n  window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {};\n" +
		"  window._POSTHOG_REMOTE_CONFIG[\"" + testSDKKey + "\"] = {config: "
	suffix := ", siteApps: []};\n})();\n"
	if !strings.HasPrefix(js, prefix) || !strings.HasSuffix(js, suffix) {
		t.Fatalf("unexpected script:\n%s", js)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(js, prefix), suffix)), &got); err != nil {
		t.Fatalf("config in the script: %v", err)
	}
	if d := cmp.Diff(wantRemoteConfig(true), got); d != "" {
		t.Errorf("mismatch (-want +got):\n%s", d)
	}
	if rec := do(t, h, call{method: http.MethodGet, path: "/array/phc_nobody/config.js"}); rec.Code != 404 {
		t.Errorf("unknown token: %d", rec.Code)
	}
}

// TestEmptyProductLists: the product APIs posthog-js may call answer PostHog's shape with nothing in it.
func TestEmptyProductLists(t *testing.T) {
	_, h := testServer(t)
	cases := []struct{ path, want string }{
		{"/api/surveys/?token=" + testSDKKey, `{"surveys":[]}`},
		{"/api/surveys?token=" + testSDKKey, `{"surveys":[]}`},
		{"/api/early_access_features/?token=" + testSDKKey + "&stage=beta", `{"earlyAccessFeatures":[]}`},
		{"/api/web_experiments/?token=" + testSDKKey, `{"experiments":[]}`},
		{"/api/product_tours/?token=" + testSDKKey, `{"product_tours":[]}`},
	}
	for _, tc := range cases {
		rec := do(t, h, call{method: http.MethodGet, path: tc.path})
		if got := strings.TrimSpace(rec.Body.String()); rec.Code != 200 || got != tc.want {
			t.Errorf("GET %s: %d %s, want 200 %s", tc.path, rec.Code, got, tc.want)
		}
	}
}
