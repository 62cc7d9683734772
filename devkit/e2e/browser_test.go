package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// browserFlags are the flags the browser pages show, made through the admin API.
var browserFlags = []map[string]any{
	{"key": "banner", "name": "Banner", "filters": map[string]any{
		"groups":   []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}},
		"payloads": map[string]any{"true": `{"text":"hello"}`}}},
	{"key": "theme", "name": "Theme", "filters": map[string]any{
		"groups":       []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}},
		"multivariate": map[string]any{"variants": []any{map[string]any{"key": "dark", "rollout_percentage": 100}}},
		"payloads":     map[string]any{"dark": `{"bg":"#000"}`}}},
	{"key": "disabled", "name": "Switched off", "active": false, "filters": map[string]any{
		"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}}}},
	{"key": "headline", "name": "Headline", "filters": map[string]any{
		"groups":       []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}},
		"multivariate": map[string]any{"variants": []any{map[string]any{"key": "welcome", "rollout_percentage": 100}}}}},
}

// TestBrowserSDKs runs devkit/browser (node --test) against the real binaries: posthog-js and the
// OpenFeature web SDK with the OFREP web provider, in Debian's headless Chromium driven by playwright-core.
// The node tests read the evaluator's and the writer's URLs, the admin token, the environment and its SDK
// key from the environment, and change flags through the writer themselves. It needs node, `npm ci` in
// devkit/browser and /usr/bin/chromium (make test-deps and .ci/run install them); HALYARD_SKIP_BROWSER=1
// skips it.
func TestBrowserSDKs(t *testing.T) {
	if os.Getenv("HALYARD_SKIP_BROWSER") == "1" {
		t.Skip("HALYARD_SKIP_BROWSER=1")
	}
	node, dir := browserTestDeps(t)
	c := startCluster(t, 1)
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	for _, f := range browserFlags {
		if _, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), f, nil); err != nil {
			t.Fatalf("create %s: %v", f["key"], err)
		}
	}
	ev := c.Evaluators[0]
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		r, err := tryFlags(ev, env.SDKKey, "u", nil)
		if err != nil {
			return err
		}
		if len(r.Flags) != len(browserFlags)-1 { // the inactive flag is left out
			return fmt.Errorf("%d flags served", len(r.Flags))
		}
		return nil
	})

	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "--test-concurrency=1",
		"posthog.test.js", "ofrep.test.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1",
		"HALYARD_EVALUATOR_URL="+ev.URL(),
		"HALYARD_WRITER_URL="+c.Writer.URL(),
		"HALYARD_ADMIN_TOKEN="+c.Opts.AdminToken,
		"HALYARD_ENVIRONMENT_ID="+strconv.FormatInt(env.ID, 10),
		"HALYARD_SDK_KEY="+env.SDKKey)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node --test failed: %v", err)
	}
}

// browserTestDeps finds node, devkit/browser's packages and Chromium, or fails saying what is missing.
func browserTestDeps(t *testing.T) (node, dir string) {
	t.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(root, "devkit", "browser")
	node, err = exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed (make test-deps; HALYARD_SKIP_BROWSER=1 skips the browser tests)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("devkit/browser has no node_modules: run `npm ci` in %s (make test-deps)", dir)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: install Debian's chromium (make test-deps; HALYARD_SKIP_BROWSER=1 skips the browser tests)", chromium)
	}
	return node, dir
}
