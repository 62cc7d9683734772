package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

// soakNATSDown is how long a restarted NATS node stays down.
const soakNATSDown = 3 * time.Second

// restartInTurn restarts one component every interval, in turn: an evaluator, the writer, a NATS node, the
// next evaluator, the writer, the next NATS node, … The last restart starts an interval before the load ends.
func restartInTurn(t *testing.T, c *cluster.Cluster, lb *haproxy, s *soakObservers, duration, every time.Duration) {
	t.Helper()
	start := time.Now()
	for i := 0; ; i++ {
		next := start.Add(time.Duration(i+1) * every)
		if next.Add(every).After(start.Add(duration)) {
			return
		}
		time.Sleep(time.Until(next)) // the schedule, not a wait for a condition
		switch i % 3 {
		case 0:
			n := (i / 3) % len(c.Evaluators)
			restartEvaluator(t, c.Evaluators[n], n, lb)
			s.restarted(c.Evaluators[n].Name)
		case 1:
			restartWriter(t, c.Writer)
			s.restarted(c.Writer.Name)
		case 2:
			node := c.NATSCluster.Nodes[(i/3)%len(c.NATSCluster.Nodes)]
			node.Stop()
			time.Sleep(soakNATSDown) // the node's downtime
			if err := node.Start(); err != nil {
				t.Fatal(err)
			}
			waitReplicasCurrent(t, c, len(c.NATSCluster.Nodes))
			s.restarted(node.Name)
		}
		t.Logf("%s: restarted %s", time.Since(start).Round(time.Second), s.restarts[len(s.restarts)-1])
	}
}

// restartEvaluator stops the evaluator with SIGTERM (HAProxy takes it out during its lame duck), starts it
// again, and waits until HAProxy counts it up.
func restartEvaluator(t *testing.T, ev *cluster.Process, n int, lb *haproxy) {
	t.Helper()
	if err := ev.Stop(rollingLameDuck + 20*time.Second); err != nil {
		t.Fatalf("%s did not exit cleanly on SIGTERM: %v", ev.Name, err)
	}
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	if err := ev.WaitReady(context.Background(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	lb.waitStatus(t, n, "UP")
}

func restartWriter(t *testing.T, w *cluster.Process) {
	t.Helper()
	if err := w.Stop(rollingLameDuck + 20*time.Second); err != nil {
		t.Fatalf("writer did not exit cleanly on SIGTERM: %v", err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	if err := w.WaitReady(context.Background(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
}
