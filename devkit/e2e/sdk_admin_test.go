package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
)

// jsonEqual compares two JSON texts as values (PostgreSQL's jsonb reformats a raw JSON payload).
func jsonEqual(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

// TestPostHogGoThroughAdminAPI: flags made through the writer's admin API, payloads stored as PostHog's
// JSON strings and as raw JSON, reach posthog-go the same way remotely and locally.
func TestPostHogGoThroughAdminAPI(t *testing.T) {
	c := startCluster(t, 1)
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	defs := []map[string]any{
		{"key": "banner", "name": "Banner", "filters": map[string]any{
			"groups":   []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}},
			"payloads": map[string]any{"true": `{"text":"hello"}`}}},
		{"key": "theme", "name": "Theme", "filters": map[string]any{
			"groups":       []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}},
			"multivariate": map[string]any{"variants": []any{map[string]any{"key": "dark", "rollout_percentage": 100}}},
			"payloads":     map[string]any{"dark": map[string]any{"bg": "#000"}}}},
	}
	for _, f := range defs {
		if _, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), f, nil); err != nil {
			t.Fatalf("create %s: %v", f["key"], err)
		}
	}
	e := sdkEnv{URL: c.Evaluators[0].URL(), SDKKey: env.SDKKey, ServerKey: env.ServerKey}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		r, _, err := admin.Flags(ctx, httpClient, e.URL, env.SDKKey, "u", nil)
		if err != nil {
			return err
		}
		if len(r.Flags) != 2 {
			return fmt.Errorf("%d flags served", len(r.Flags))
		}
		return nil
	})
	want := map[string]sdkWant{"banner": {Value: true, Payload: `{"text":"hello"}`}, "theme": {Value: "dark", Payload: `{"bg":"#000"}`}}
	for _, local := range []bool{false, true} {
		key := ""
		if local {
			key = e.ServerKey
		}
		client := posthogGoClient(t, e, key, &recorder{})
		checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			for k, w := range want {
				p := goPayload(sdkCase{DistinctID: "user-1"}, k, local)
				v, err := client.GetFeatureFlag(p)
				pl, _ := client.GetFeatureFlagPayload(p)
				if err != nil || v != w.Value || !jsonEqual(pl, w.Payload) {
					return fmt.Errorf("local=%v %s = %v %q %v, want %v %q", local, k, v, pl, err, w.Value, w.Payload)
				}
			}
			return nil
		})
	}
}
