package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestFaultNATSDown: NATS stops while admins write and evaluators serve. Every write answers 2xx within a
// bound; the writer's /status says degraded with the changes pending; the evaluators keep answering from
// their snapshot and their /status says degraded with the snapshot's age. When NATS is back the pending
// changes are published (once, as one snapshot covering them all), every evaluator catches up, applies
// nothing twice or out of order, and both services say healthy again.
func TestFaultNATSDown(t *testing.T) {
	logs := newFaultLogs(t)
	c := startClusterWith(t, 2, func(o *cluster.Options) { o.Logs = logs })
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	before, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("outage", "ada@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitPublished(t, c, env.ID, before)
	for _, ev := range c.Evaluators {
		waitEvaluatorVersion(t, ev, env.ID, before)
	}
	publishedBefore := publishedSnapshots(t, c.Writer)

	c.NATS.Stop()
	var final int64
	for i := range 5 {
		start := time.Now()
		v, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "outage"), map[string]any{"name": fmt.Sprintf("outage %d", i)}, nil)
		if err != nil {
			t.Fatalf("write %d while NATS is down: %v", i, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("write %d while NATS is down took %s", i, took)
		}
		final = v
	}
	checkDegradedWhileNATSDown(t, c, env, before)

	if err := c.NATS.Restart(); err != nil {
		t.Fatal(err)
	}
	for _, ev := range c.Evaluators {
		waitEvaluatorVersion(t, ev, env.ID, final)
	}
	checkFor(t, 30*time.Second, 50*time.Millisecond, func() error { return healthyAgain(c) })
	// Absence is the assertion: a second publish would come within a publish poll (1 s).
	time.Sleep(2 * time.Second)
	// The changes may share snapshots (the publisher sends an environment's current version) but never
	// take more than one each.
	if n := publishedSnapshots(t, c.Writer) - publishedBefore; n < 1 || n > 5 {
		t.Errorf("the writer published %v snapshots for the 5 changes made while NATS was down", n)
	}
	applies := logs.checkAppliedInOrder(t, env.ID)
	if len(applies) != len(c.Evaluators) {
		t.Fatalf("applied snapshots logged by %d evaluators, want %d: %v", len(applies), len(c.Evaluators), applies)
	}
	for name, runs := range applies {
		if len(runs) != 1 || !slices.Contains(runs[0], before) || runs[0][len(runs[0])-1] != final {
			t.Errorf("%s applied %v: want one run through v%d ending at v%d", name, runs, before, final)
		}
	}
	t.Logf("versions applied by each evaluator: %v", applies)
}

// checkDegradedWhileNATSDown: the writer says degraded with changes pending, and every evaluator says
// degraded, NATS disconnected, with a snapshot age that grows, while it still answers from its snapshot.
func checkDegradedWhileNATSDown(t *testing.T, c *cluster.Cluster, env admin.Environment, served int64) {
	t.Helper()
	checkFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		var w writerStatus
		if err := getStatus(c.Writer, &w); err != nil {
			return err
		}
		if w.Status != "degraded" || w.NATS.Connected || w.Outbox.Pending == nil || *w.Outbox.Pending == 0 {
			return fmt.Errorf("writer /status while NATS is down: %+v", w)
		}
		return nil
	})
	for _, ev := range c.Evaluators {
		var ages []float64
		checkFor(t, 10*time.Second, 100*time.Millisecond, func() error {
			var s faultStatus
			if err := getStatus(ev, &s); err != nil {
				return err
			}
			e, ok := s.environment(env.ID)
			if s.Status != "degraded" || s.NATS.Connected || !ok || e.Version != served || !strings.Contains(strings.Join(s.Reasons, "; "), "NATS") {
				return fmt.Errorf("%s /status while NATS is down: %+v", ev.Name, s)
			}
			if ages = append(ages, e.AgeSeconds); ages[len(ages)-1] <= ages[0]+0.2 {
				return fmt.Errorf("%s reports the snapshot's age %v: not growing yet", ev.Name, ages)
			}
			return nil
		})
		r := flags(t, ev, env.SDKKey, "u", map[string]any{"email": "ada@example.com"})
		if f := r.Flags["outage"]; !f.Enabled {
			t.Errorf("%s stopped answering from its snapshot while NATS is down: %+v", ev.Name, r.Flags)
		}
	}
}

// healthyAgain: every process of the cluster says healthy, and the writer has nothing pending.
func healthyAgain(c *cluster.Cluster) error {
	var w writerStatus
	if err := getStatus(c.Writer, &w); err != nil {
		return err
	}
	if w.Status != "healthy" || w.Outbox.Pending == nil || *w.Outbox.Pending != 0 {
		return fmt.Errorf("writer /status after NATS is back: %+v", w)
	}
	for _, ev := range c.Evaluators {
		var s faultStatus
		if err := getStatus(ev, &s); err != nil {
			return err
		}
		if s.Status != "healthy" {
			return fmt.Errorf("%s /status after NATS is back: %+v", ev.Name, s)
		}
	}
	return nil
}

// faultStatus is what the fault tests read of an evaluator's /status.
type faultStatus struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
	Ready   bool     `json:"ready"`
	NATS    struct {
		Connected bool `json:"connected"`
	} `json:"nats"`
	Environments []struct {
		ID         int64   `json:"id"`
		Version    int64   `json:"version"`
		AgeSeconds float64 `json:"age_seconds"`
	} `json:"environments"`
	Missing []int64 `json:"missing_environments"`
}

func (s *faultStatus) environment(id int64) (e struct {
	ID         int64   `json:"id"`
	Version    int64   `json:"version"`
	AgeSeconds float64 `json:"age_seconds"`
}, ok bool) {
	for _, e := range s.Environments {
		if e.ID == id {
			return e, true
		}
	}
	return e, false
}

// writerStatus is what the fault tests read of the writer's /status.
type writerStatus struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
	NATS    struct {
		Connected bool `json:"connected"`
	} `json:"nats"`
	Outbox struct {
		Pending *int64 `json:"pending"`
	} `json:"outbox"`
}

// getStatus reads a process's /status (admin listener) into out.
func getStatus(p *cluster.Process, out any) error {
	resp, err := httpClient.Get(p.AdminURL() + "/status")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s /status: %s", p.Name, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// publishedSnapshots is the writer's halyard_snapshots_published_total (the catalog is not counted).
func publishedSnapshots(tb testing.TB, w *cluster.Process) float64 {
	tb.Helper()
	n, err := metricValue(w, "halyard_snapshots_published_total")
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
