package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestWipedJetStreamIsRefilled: the writer restarted with PostgreSQL's data kept and JetStream's store wiped
// (a lost volume) republishes every environment without any edit, and an evaluator started meanwhile never
// answers a valid key 401: it says 503 not_ready until it holds every environment, then answers.
func TestWipedJetStreamIsRefilled(t *testing.T) {
	c := startCluster(t, 1)
	ctx := context.Background()
	type envFlag struct {
		env  admin.Environment
		flag string
	}
	var envs []envFlag
	for i := range 3 {
		cl, env := newEnvironment(t, c)
		key := fmt.Sprintf("kept-%d", i)
		v, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag(key, "ada@example.com"), nil)
		if err != nil {
			t.Fatal(err)
		}
		waitPublished(t, c, env.ID, v)
		envs = append(envs, envFlag{env, key})
	}

	if err := c.Writer.Kill(); err != nil {
		t.Fatal(err)
	}
	c.NATS.Stop()
	if err := os.RemoveAll(c.NATS.StoreDir); err != nil {
		t.Fatal(err)
	}
	if err := c.NATS.Restart(); err != nil {
		t.Fatal(err)
	}
	addr, _ := cluster.FreeAddr()
	ev := c.NewEvaluator(addr)
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	c.Evaluators = append(c.Evaluators, ev)
	c.Writer = c.NewWriter(c.Writer.Addr)
	if err := c.Writer.Start(); err != nil {
		t.Fatal(err)
	}

	statuses := map[int]int{}
	checkFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		missing := 0
		for _, e := range envs {
			r, status, err := admin.Flags(ctx, httpClient, ev.URL(), e.env.SDKKey, "u", map[string]any{"email": "ada@example.com"})
			statuses[status]++
			if status == http.StatusUnauthorized || status == http.StatusForbidden {
				t.Fatalf("a valid key of environment %d answered %d while JetStream was refilled: %v", e.env.ID, status, err)
			}
			if err != nil || !r.Flags[e.flag].Enabled {
				missing++
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d of %d environments not answered yet (statuses so far %v)", missing, len(envs), statuses)
		}
		return nil
	})
	t.Logf("answers while refilling, by status: %v", statuses)
}
