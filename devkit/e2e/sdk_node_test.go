package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestJSSDKs runs devkit/js (node --test) against a running evaluator: posthog-node remote and local
// evaluation and the OpenFeature server SDK with the OFREP provider, compared with the engine's answers.
// It needs node ≥ 20 and devkit/js/node_modules (`npm ci` in devkit/js; .ci/run does it). Without node the
// test fails unless HALYARD_SKIP_JS=1.
func TestJSSDKs(t *testing.T) {
	if os.Getenv("HALYARD_SKIP_JS") == "1" {
		t.Skip("HALYARD_SKIP_JS=1")
	}
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "devkit", "js")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed (set HALYARD_SKIP_JS=1 to skip the JavaScript SDK tests)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "posthog-node")); err != nil {
		t.Fatalf("devkit/js has no node_modules: run `npm ci` in %s", dir)
	}

	_, e := startSDKEnv(t)
	type jsCase struct {
		Case sdkCase            `json:"case"`
		Want map[string]sdkWant `json:"want"`
	}
	fx := struct {
		URL          string                       `json:"url"`
		SDKKey       string                       `json:"sdkKey"`
		ServerKey    string                       `json:"serverKey"`
		Cases        []jsCase                     `json:"cases"`
		Multivariate []string                     `json:"multivariate"`
		NotLocal     map[string]map[string]string `json:"notLocal"`
	}{URL: e.URL, SDKKey: e.SDKKey, ServerKey: e.ServerKey, NotLocal: notLocal}
	for _, c := range sdkCases(12) {
		fx.Cases = append(fx.Cases, jsCase{Case: c, Want: e.want(c)})
	}
	for _, f := range e.Snapshot.Flags {
		if f.Filters.Multivariate != nil {
			fx.Multivariate = append(fx.Multivariate, f.Key)
		}
	}
	sort.Strings(fx.Multivariate)
	path := filepath.Join(t.TempDir(), "fixture.json")
	b, _ := json.Marshal(fx)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "sdk.test.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HALYARD_SDK_FIXTURE="+path, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("node --test failed: %v", err)
	}
}
