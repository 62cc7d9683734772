package httpapi

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
)

// TestUserAgentRuntime: the cases of PostHog's rust/feature-flags src/utils/user_agent.rs tests
// (test_parse_posthog_sdks, test_parse_browser_user_agents, test_parse_http_clients, test_parse_edge_cases).
func TestUserAgentRuntime(t *testing.T) {
	for ua, want := range map[string]runtime{
		"posthog-python/3.0.0": runtimeServer, "posthog-node/1.2.3": runtimeServer, "posthog-ruby/2.0.0": runtimeServer,
		"posthog-go/1.0.0": runtimeServer, "posthog-php/3.1.0": runtimeServer, "posthog-java/1.1.0": runtimeServer,
		"posthog-dotnet/1.0.0": runtimeServer, "posthog-elixir/0.2.0": runtimeServer, "posthog-rs/0.10.0": runtimeServer,
		"posthog-server/1.0.0": runtimeServer, "posthog-server/3.2.1 (Android SDK)": runtimeServer,
		"posthog-python/3.0.0 (Linux; Python 3.11)": runtimeServer,
		"posthog-js/1.88.0":                         runtimeClient, "posthog-android/3.0.0": runtimeClient, "posthog-ios/3.0.0": runtimeClient,
		"posthog-react-native/2.5.0": runtimeClient, "posthog-flutter/4.0.0": runtimeClient,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64)":                          runtimeClient,
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36": runtimeClient,
		"Mozilla/5.0 (X11; Linux x86_64) Firefox/89.0":                       runtimeClient,
		"Chrome/120.0.0.0 Safari/537.36":                                     runtimeClient,
		"curl/7.68.0":                                                        runtimeServer, "python-requests/2.28.0": runtimeServer,
		"posthog-python": runtimeUnknown, "posthog-python/": runtimeUnknown, "posthog-/1.0.0": runtimeUnknown, "": runtimeUnknown,
		// an unknown PostHog SDK is unknown even when it mentions a browser: the SDK prefix is read first
		"posthog-unknown/1.0 Mozilla/5.0": runtimeUnknown,
		"custom-client/1.0":               runtimeUnknown,
	} {
		if got := userAgentRuntime(ua); got != want {
			t.Errorf("userAgentRuntime(%q) = %d, want %d", ua, got, want)
		}
	}
}

// TestRequestRuntime: detect_evaluation_runtime_from_request in PostHog's src/handler/flags.rs: an explicit
// runtime first (case-insensitive, anything unknown being all), then the User-Agent, then browser headers.
func TestRequestRuntime(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name     string
		explicit *string
		headers  map[string]string
		want     runtime
	}{
		{"nothing", nil, nil, runtimeUnknown},
		{"explicit wins", s("SERVER"), map[string]string{"User-Agent": "Mozilla/5.0"}, runtimeServer},
		{"explicit unknown is all", s("edge"), nil, runtimeAll},
		{"explicit empty is all", s(""), nil, runtimeAll},
		{"browser UA", nil, map[string]string{"User-Agent": "Mozilla/5.0 (X11)"}, runtimeClient},
		{"server SDK UA beats Origin", nil, map[string]string{"User-Agent": "posthog-node/4.0.0", "Origin": "https://a.example"}, runtimeServer},
		{"Origin", nil, map[string]string{"User-Agent": "custom/1", "Origin": "https://a.example"}, runtimeClient},
		{"empty Referer", nil, map[string]string{"Referer": ""}, runtimeClient},
		{"Sec-Fetch-Mode", nil, map[string]string{"Sec-Fetch-Mode": "cors"}, runtimeClient},
		{"Sec-Fetch-Site", nil, map[string]string{"Sec-Fetch-Site": "same-site"}, runtimeClient},
	} {
		h := http.Header{}
		for k, v := range tc.headers {
			h.Set(k, v)
		}
		if got := requestRuntime(tc.explicit, h); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestServedIn: PostHog's collect_excluded_by_runtime tests (src/handler/flags.rs), as the flags served.
func TestServedIn(t *testing.T) {
	flags := map[string]string{"flag1": "", "flag2": "client", "flag3": "server", "flag4": "all", "flag5": "unknown_runtime"}
	for _, tc := range []struct {
		rt   runtime
		want []string
	}{
		{runtimeUnknown, []string{"flag1", "flag4", "flag5"}},
		{runtimeClient, []string{"flag1", "flag2", "flag4", "flag5"}},
		{runtimeServer, []string{"flag1", "flag3", "flag4", "flag5"}},
		{runtimeAll, []string{"flag1", "flag2", "flag3", "flag4", "flag5"}},
	} {
		var got []string
		for key, fr := range flags {
			if servedIn(fr, tc.rt) {
				got = append(got, key)
			}
		}
		slices.Sort(got)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("runtime %d: mismatch (-want +got):\n%s", tc.rt, d)
		}
	}
}

// TestServedFor: PostHog's collect_excluded_by_tags: no contexts named serves everything; a flag without
// contexts is always served; otherwise one shared context is enough.
func TestServedFor(t *testing.T) {
	for _, tc := range []struct {
		flag, requested []string
		want            bool
	}{
		{nil, nil, true},
		{[]string{"web"}, nil, true},
		{[]string{"web"}, []string{}, true},
		{nil, []string{"web"}, true},
		{[]string{"web", "docs"}, []string{"app", "docs"}, true},
		{[]string{"web"}, []string{"app"}, false},
		{[]string{"Web"}, []string{"web"}, false}, // exact, as PostHog compares
	} {
		if got := servedFor(tc.flag, tc.requested); got != tc.want {
			t.Errorf("servedFor(%q, %q) = %t, want %t", tc.flag, tc.requested, got, tc.want)
		}
	}
}

// TestScopeThroughFlags: /flags and /decide serve each request the flags of its scope, and take flag_keys
// with flag_keys_to_evaluate as its alias.
func TestScopeThroughFlags(t *testing.T) {
	hundred := 100.0
	on := func(id int64, key, rt string, contexts ...string) flag.Flag {
		return flag.Flag{ID: id, Key: key, Active: true, Version: 1, EvaluationRuntime: rt, EvaluationContexts: contexts,
			Filters: flag.Filters{Groups: []flag.Condition{{Properties: []flag.Property{}, RolloutPercentage: &hundred}}}}
	}
	s, h := testServer(t)
	s.Store.Apply(testSnapshot([]flag.Flag{on(1, "anywhere", ""), on(2, "browser", "client"), on(3, "backend", "server"),
		on(4, "web", "", "web"), on(5, "web-browser", "client", "web", "docs")}, 2))
	for _, tc := range []struct {
		name    string
		body    string
		headers map[string]string
		want    []string
		status  int
	}{
		{"unknown runtime", `{}`, nil, []string{"anywhere", "web"}, 200},
		{"browser", `{}`, map[string]string{"User-Agent": "Mozilla/5.0"}, []string{"anywhere", "browser", "web", "web-browser"}, 200},
		{"posthog-node", `{}`, map[string]string{"User-Agent": "posthog-node/5.0.0"}, []string{"anywhere", "backend", "web"}, 200},
		{"explicit all", `{"evaluation_runtime":"all"}`, nil, []string{"anywhere", "backend", "browser", "web", "web-browser"}, 200},
		{"contexts", `{"evaluation_runtime":"client","evaluation_contexts":["docs"]}`, nil, []string{"anywhere", "browser", "web-browser"}, 200},
		{"environments alias", `{"evaluation_runtime":"client","evaluation_environments":["app"]}`, nil, []string{"anywhere", "browser"}, 200},
		{"flag_keys", `{"evaluation_runtime":"all","flag_keys":["web","backend"]}`, nil, []string{"backend", "web"}, 200},
		{"flag_keys_to_evaluate", `{"evaluation_runtime":"all","flag_keys_to_evaluate":["web"]}`, nil, []string{"web"}, 200},
		{"both spellings", `{"flag_keys":["web"],"flag_keys_to_evaluate":["web"]}`, nil, nil, 400},
		{"both context spellings", `{"evaluation_contexts":["a"],"evaluation_environments":["b"]}`, nil, nil, 400},
	} {
		body := []byte(`{"token":"` + testSDKKey + `","distinct_id":"u",` + tc.body[1:])
		if tc.body == `{}` {
			body = []byte(`{"token":"` + testSDKKey + `","distinct_id":"u"}`)
		}
		for _, path := range []string{"/flags/?v=2", "/decide/?v=4"} {
			rec := do(t, h, call{method: http.MethodPost, path: path, body: body, headers: tc.headers})
			if rec.Code != tc.status {
				t.Errorf("%s %s: %d %s", tc.name, path, rec.Code, rec.Body)
				continue
			}
			if tc.status != 200 {
				continue
			}
			var got []string
			for k := range decode[struct {
				Flags map[string]any `json:"flags"`
			}](t, rec).Flags {
				got = append(got, k)
			}
			slices.Sort(got)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%s %s: mismatch (-want +got):\n%s", tc.name, path, d)
			}
		}
	}
}
