package e2e

import (
	"context"
	"os"
	"testing"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

// startClusterWith is startCluster with options set by configure, after the defaults.
func startClusterWith(tb testing.TB, evaluators int, configure func(*cluster.Options)) *cluster.Cluster {
	tb.Helper()
	addrs := make([]string, evaluators)
	for i := range addrs {
		addrs[i], _ = cluster.FreeAddr()
	}
	o := cluster.Options{WorkDir: tb.TempDir(), AdminURL: os.Getenv("TEST_DATABASE_URL"), EvaluatorAddrs: addrs}
	if testing.Verbose() {
		o.Logs = os.Stderr
	}
	configure(&o)
	c, err := cluster.Start(context.Background(), o)
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
