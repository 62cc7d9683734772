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

// startCluster starts a cluster for one test and stops it when the test ends.
func startCluster(tb testing.TB, evaluators int) *cluster.Cluster {
	tb.Helper()
	ctx := context.Background()
	addrs := make([]string, evaluators)
	for i := range addrs {
		addrs[i], _ = cluster.FreeAddr()
	}
	o := cluster.Options{WorkDir: tb.TempDir(), AdminURL: os.Getenv("TEST_DATABASE_URL"), EvaluatorAddrs: addrs}
	if testing.Verbose() {
		o.Logs = os.Stderr
	}
	c, err := cluster.Start(ctx, o)
	if err != nil {
		tb.Fatalf("start cluster: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			tb.Logf("stop cluster: %v", err)
		}
	})
	return c
}

// checkFor polls fn every sleep until it returns nil or total passes, then fails with fn's last error.
func checkFor(tb testing.TB, total, sleep time.Duration, fn func() error) {
	tb.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(sleep)
	}
	tb.Fatalf("condition not met after %s: %v", total, err)
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// flags asks an evaluator for every flag and fails the test on any error.
func flags(tb testing.TB, ev *cluster.Process, token, distinctID string, props map[string]any) *admin.FlagsResponse {
	tb.Helper()
	resp, err := tryFlags(ev, token, distinctID, props)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// tryFlags asks an evaluator for every flag; use it inside checkFor, where an environment the evaluator has
// not received yet (401) is a reason to poll again.
func tryFlags(ev *cluster.Process, token, distinctID string, props map[string]any) (*admin.FlagsResponse, error) {
	resp, _, err := admin.Flags(context.Background(), httpClient, ev.URL(), token, distinctID, props)
	if err != nil {
		return nil, fmt.Errorf("%s /flags: %w", ev.Name, err)
	}
	return resp, nil
}

func newEnvironment(tb testing.TB, c *cluster.Cluster) (*admin.Client, admin.Environment) {
	tb.Helper()
	cl := admin.New(c.Writer.URL(), c.Opts.AdminToken)
	env, err := cl.CreateProjectAndEnvironment(context.Background(), "e2e", "test")
	if err != nil {
		tb.Fatalf("create environment: %v", err)
	}
	return cl, env
}
