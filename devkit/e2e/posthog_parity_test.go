package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/devkit/admin"
)

// TestPostHogParityThroughTheBinaries: evaluation runtimes and contexts set through the admin API decide
// which flags /flags serves each client; the definitions carry a weak ETag with private, must-revalidate;
// OFREP metadata names the flag set and the version.
func TestPostHogParityThroughTheBinaries(t *testing.T) {
	c := startCluster(t, 1)
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	scoped := func(key, rt string, contexts ...string) map[string]any {
		f := flagRule(key, "plan", "pro")
		f["evaluation_runtime"] = rt
		if contexts != nil {
			f["evaluation_contexts"] = contexts
		}
		return f
	}
	var version int64
	for _, f := range []map[string]any{scoped("anywhere", "all"), scoped("browser", "client"), scoped("backend", "server"),
		scoped("docs-only", "", "docs")} {
		v, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), f, nil)
		if err != nil {
			t.Fatal(err)
		}
		version = v
	}
	ev := c.Evaluators[0]
	served := func(userAgent string, extra map[string]any) []string {
		body := map[string]any{"token": env.SDKKey, "distinct_id": "u1", "person_properties": map[string]any{"plan": "pro"}}
		for k, v := range extra {
			body[k] = v
		}
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, ev.URL()+"/flags/?v=2", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", userAgent)
		req.Header.Set("Halyard-Min-Version", strconv.FormatInt(version, 10))
		status, data := send(t, req)
		if status != http.StatusOK {
			t.Fatalf("/flags: %d %s", status, data)
		}
		var r admin.FlagsResponse
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range r.Flags {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}
	for _, tc := range []struct {
		name, ua string
		extra    map[string]any
		want     []string
	}{
		{"posthog-js", "posthog-js/1.200.0", nil, []string{"anywhere", "browser", "docs-only"}},
		{"posthog-node", "posthog-node/5.0.0", nil, []string{"anywhere", "backend", "docs-only"}},
		{"unknown client", "custom/1.0", nil, []string{"anywhere", "docs-only"}},
		{"docs context", "custom/1.0", map[string]any{"evaluation_runtime": "all", "evaluation_contexts": []string{"docs"}},
			[]string{"anywhere", "backend", "browser", "docs-only"}},
		{"other context", "custom/1.0", map[string]any{"evaluation_runtime": "all", "evaluation_environments": []string{"app"}},
			[]string{"anywhere", "backend", "browser"}},
		{"flag_keys", "custom/1.0", map[string]any{"evaluation_runtime": "all", "flag_keys": []string{"backend"}}, []string{"backend"}},
	} {
		if d := cmp.Diff(tc.want, served(tc.ua, tc.extra)); d != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", tc.name, d)
		}
	}

	req, _ := http.NewRequest(http.MethodGet, ev.URL()+"/flags/definitions", nil)
	req.Header.Set("Authorization", "Bearer "+env.ServerKey)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if etag, cc := resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"); len(etag) < 3 || etag[:3] != `W/"` || cc != "private, must-revalidate" {
		t.Errorf("definitions: ETag %q, Cache-Control %q", etag, cc)
	}

	status, data := ofrepOne(t, ev, env.SDKKey, "anywhere", nil)
	var one struct {
		Metadata map[string]any `json:"metadata"`
	}
	if err := json.Unmarshal(data, &one); status != http.StatusOK || err != nil {
		t.Fatalf("OFREP: %d %s", status, data)
	}
	want := map[string]any{"flagSetId": strconv.FormatInt(env.ID, 10), "version": "1"}
	got := map[string]any{"flagSetId": one.Metadata["flagSetId"], "version": one.Metadata["version"]}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("OFREP metadata mismatch (-want +got):\n%s", d)
	}
}
