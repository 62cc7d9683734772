package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestFaultNATSNodeLost: with a 3-node NATS cluster and the stream at 3 replicas, each node in turn is
// stopped while an admin keeps writing and SDKs keep reading. No write fails, no read fails, every
// evaluator stays current (a change made while the node is down reaches all of them), the stopped node
// rejoins and catches up, and no evaluator applies a version twice or out of order.
func TestFaultNATSNodeLost(t *testing.T) {
	slowFault(t)
	logs := newFaultLogs(t)
	c := startClusterWith(t, 2, func(o *cluster.Options) { o.Logs = logs; o.NATSNodes = 3 })
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	created, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("routed", "ada@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range c.Evaluators {
		waitEvaluatorAtLeast(t, ev, env.ID, created)
	}
	waitReplicasCurrent(t, c, 3)
	load := startWritesAndReads(t, c, cl, env, "routed")

	for _, node := range c.NATSCluster.Nodes {
		node.Stop()
		v, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "routed"), map[string]any{"name": "without " + node.Name}, nil)
		if err != nil {
			t.Fatalf("write with %s down: %v", node.Name, err)
		}
		for _, ev := range c.Evaluators {
			waitEvaluatorAtLeast(t, ev, env.ID, v)
		}
		if err := node.Start(); err != nil {
			t.Fatal(err)
		}
		waitReplicasCurrent(t, c, 3)
		t.Logf("%s stopped and rejoined; v%d reached every evaluator meanwhile", node.Name, v)
	}
	final := load.stop(t)
	for _, ev := range c.Evaluators {
		waitEvaluatorVersion(t, ev, env.ID, final)
	}
	logs.checkAppliedInOrder(t, env.ID)
}

// waitReplicasCurrent waits until the snapshot stream has a leader and n-1 replicas, all online and
// current: a stopped node has rejoined and caught up.
func waitReplicasCurrent(tb testing.TB, c *cluster.Cluster, n int) {
	tb.Helper()
	js, closeNC := jetStream(tb, c)
	defer closeNC()
	checkFor(tb, 60*time.Second, 50*time.Millisecond, func() error {
		st, err := js.Stream(context.Background(), "HALYARD_SNAPSHOTS")
		if err != nil {
			return err
		}
		info, err := st.Info(context.Background())
		if err != nil {
			return err
		}
		if info.Config.Replicas != n || info.Cluster == nil || info.Cluster.Leader == "" {
			return fmt.Errorf("stream: %d replicas, cluster %+v", info.Config.Replicas, info.Cluster)
		}
		current := 0
		for _, p := range info.Cluster.Replicas {
			if p.Current && !p.Offline {
				current++
			}
		}
		if current != n-1 {
			return fmt.Errorf("stream leader %s with %d of %d replicas current", info.Cluster.Leader, current, n-1)
		}
		return nil
	})
}

// waitEvaluatorAtLeast waits until the evaluator's /status serves the environment at version or later.
func waitEvaluatorAtLeast(tb testing.TB, ev *cluster.Process, envID, version int64) {
	tb.Helper()
	checkFor(tb, 30*time.Second, 10*time.Millisecond, func() error {
		got, err := statusVersion(ev, envID)
		if err != nil {
			return err
		}
		if got < version {
			return fmt.Errorf("%s serves environment %d at v%d, want v%d or later", ev.Name, envID, got, version)
		}
		return nil
	})
}

// backgroundLoad is an admin changing a flag every 100 ms and SDKs reading it from every evaluator every
// 20 ms, until stop.
type backgroundLoad struct {
	cancel        context.CancelFunc
	wg            sync.WaitGroup
	last          atomic.Int64 // the last version a write produced
	writes, reads atomic.Int64
	mu            sync.Mutex
	failures      []string
}

func startWritesAndReads(tb testing.TB, c *cluster.Cluster, cl *admin.Client, env admin.Environment, key string) *backgroundLoad {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &backgroundLoad{cancel: cancel}
	l.wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			v, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, key), map[string]any{"name": fmt.Sprintf("change %d", i)}, nil)
			if err != nil && ctx.Err() == nil {
				l.fail("write %d: %v", i, err)
			}
			l.writes.Add(1)
			l.last.Store(max(l.last.Load(), v))
			sleepCtx(ctx, 100*time.Millisecond)
		}
	})
	for _, ev := range c.Evaluators {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				r, status, err := admin.Flags(ctx, httpClient, ev.URL(), env.SDKKey, "u", map[string]any{"email": "ada@example.com"})
				if ctx.Err() == nil && (err != nil || !r.Flags[key].Enabled) {
					l.fail("%s read: status %d: %v %+v", ev.Name, status, err, r)
				}
				l.reads.Add(1)
				sleepCtx(ctx, 20*time.Millisecond)
			}
		})
	}
	return l
}

func (l *backgroundLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, fmt.Sprintf(format, args...))
}

// stop ends the load, fails the test if any request failed, and returns the last version written.
func (l *backgroundLoad) stop(tb testing.TB) int64 {
	tb.Helper()
	l.cancel()
	l.wg.Wait()
	tb.Logf("background load: %d writes, %d reads, %d failed", l.writes.Load(), l.reads.Load(), len(l.failures))
	if len(l.failures) > 0 {
		tb.Errorf("%d requests failed, the first: %v", len(l.failures), l.failures[:min(5, len(l.failures))])
	}
	return l.last.Load()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
