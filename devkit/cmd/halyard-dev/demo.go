package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// demoFlags are the flags of the demo environment: a rollout, a multivariate experiment with payloads, and a
// targeted flag.
var demoFlags = []map[string]any{
	{"key": "new-checkout", "name": "New checkout flow, 50% rollout",
		"filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": 50}}}},
	{"key": "pricing-experiment", "name": "Pricing page experiment",
		"filters": map[string]any{
			"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}},
			"multivariate": map[string]any{"variants": []any{
				map[string]any{"key": "control", "rollout_percentage": 50},
				map[string]any{"key": "annual-first", "rollout_percentage": 25},
				map[string]any{"key": "monthly-first", "rollout_percentage": 25},
			}},
			"payloads": map[string]any{"annual-first": `{"headline": "Save 20% yearly"}`},
		}},
	{"key": "beta-banner", "name": "Beta banner for example.com staff",
		"filters": map[string]any{"groups": []any{map[string]any{
			"properties":         []any{map[string]any{"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"}},
			"rollout_percentage": 100,
		}}}},
}

// demoFile keeps the demo environment's id and keys in the work directory: the server key is shown only when
// an environment is created, and a restarted cluster prints the same keys as the first run.
const demoFile = "demo.json"

// demoEnvironment returns the demo environment the last run left in the work directory when the writer still
// has it, and seeds a new one otherwise; either way it waits until every evaluator answers its SDK key.
func demoEnvironment(ctx context.Context, c *cluster.Cluster, work string) (env admin.Environment, kept bool, err error) {
	cl := admin.New(c.Writer.URL(), c.Opts.AdminToken)
	if env, kept, err = keptDemo(ctx, cl, filepath.Join(work, demoFile)); err != nil || kept {
		if err == nil {
			err = waitForFlags(ctx, c, env, -1)
		}
		return env, kept, err
	}
	if env, err = seedDemo(ctx, c, cl); err != nil {
		return env, false, err
	}
	b, _ := json.Marshal(env)
	return env, false, os.WriteFile(filepath.Join(work, demoFile), b, 0o600)
}

// keptDemo reads the environment saved in path and reports whether the writer still has it with that SDK key.
func keptDemo(ctx context.Context, cl *admin.Client, path string) (admin.Environment, bool, error) {
	var env admin.Environment
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &env) != nil {
		return env, false, nil
	}
	var detail struct {
		Keys []struct{ Kind, Value string } `json:"keys"`
	}
	var ae *admin.Error
	if _, err := cl.Do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/environments/%d", env.ID), nil, &detail); errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return env, false, nil
	} else if err != nil {
		return env, false, fmt.Errorf("read the demo environment: %w", err)
	}
	for _, k := range detail.Keys {
		if k.Kind == "sdk" && k.Value == env.SDKKey {
			return env, true, nil
		}
	}
	return env, false, nil
}

func seedDemo(ctx context.Context, c *cluster.Cluster, cl *admin.Client) (admin.Environment, error) {
	env, err := cl.CreateProjectAndEnvironment(ctx, "Demo", "development")
	if err != nil {
		return env, fmt.Errorf("create demo environment: %w", err)
	}
	for _, f := range demoFlags {
		if _, err = cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), f, nil); err != nil {
			return env, fmt.Errorf("create demo flag %v: %w", f["key"], err)
		}
	}
	return env, waitForFlags(ctx, c, env, len(demoFlags))
}

// waitForFlags waits until every evaluator answers n flags for the environment's SDK key (any number when n
// is negative), so the printed commands work at once.
func waitForFlags(ctx context.Context, c *cluster.Cluster, env admin.Environment, n int) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for _, ev := range c.Evaluators {
		for {
			r, _, err := admin.Flags(ctx, hc, ev.URL(), env.SDKKey, "demo-user", nil)
			if err == nil && (n < 0 || len(r.Flags) == n) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not answer the demo environment's flags after 30s: %v", ev.Name, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}
