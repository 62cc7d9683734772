package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
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

func seedDemo(ctx context.Context, c *cluster.Cluster) (admin.Environment, error) {
	cl := admin.New(c.Writer.URL(), c.Opts.AdminToken)
	env, err := cl.CreateProjectAndEnvironment(ctx, "Demo", "development")
	if err != nil {
		return env, fmt.Errorf("create demo environment: %w", err)
	}
	var version int64
	for _, f := range demoFlags {
		if version, err = cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), f, nil); err != nil {
			return env, fmt.Errorf("create demo flag %v: %w", f["key"], err)
		}
	}
	return env, waitForFlags(ctx, c, env, len(demoFlags), version)
}

// waitForFlags waits until every evaluator answers the demo flags, so the printed commands work at once.
func waitForFlags(ctx context.Context, c *cluster.Cluster, env admin.Environment, n int, version int64) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for _, ev := range c.Evaluators {
		for {
			r, _, err := admin.Flags(ctx, hc, ev.URL(), env.SDKKey, "demo-user", nil)
			if err == nil && len(r.Flags) == n {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not answer the demo flags (version %d) after 30s: %v", ev.Name, version, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func printWelcome(out io.Writer, c *cluster.Cluster, env admin.Environment) {
	fmt.Fprintf(out, `
──────────────────────────────────────────────────────────────────────────────
 Halyard is running.
   writer (admin API)  %s      admin token: %s
   evaluators          %s  %s
   NATS                %s
   PostgreSQL          %s
   demo environment    id %d   SDK key: %s   server key: %s

 Try:
   curl -s -X POST %s/flags?v=2 -H 'Content-Type: application/json' \
     -d '{"token":"%s","distinct_id":"user-42","person_properties":{"email":"ada@example.com"}}'

   curl -s -X PATCH %s/api/v1/environments/%d/flags/new-checkout \
     -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \
     -d '{"filters":{"groups":[{"properties":[],"rollout_percentage":100}]}}'

 Then ask %s again: the change is there within milliseconds.
 Ctrl-C stops everything.
──────────────────────────────────────────────────────────────────────────────
`, c.Writer.URL(), c.Opts.AdminToken, c.Evaluators[0].URL(), c.Evaluators[1].URL(), c.NATSURL, c.DatabaseURL,
		env.ID, env.SDKKey, env.ServerKey,
		c.Evaluators[0].URL(), env.SDKKey,
		c.Writer.URL(), env.ID, c.Opts.AdminToken, c.Evaluators[1].URL())
}
