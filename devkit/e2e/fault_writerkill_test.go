package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestFaultWriterKilledAtEachStep: a writer is SIGKILLed after the commit (nothing published), after the
// stream's acknowledgement (outbox rows not marked) and after the mark, each time with a change the admin
// was told succeeded; a new writer takes over. Every change reaches every evaluator, the stream receives
// each version exactly once (none lost, none republished), and no evaluator applies a version twice or
// out of order.
func TestFaultWriterKilledAtEachStep(t *testing.T) {
	logs := newFaultLogs(t)
	c := startClusterWith(t, 2, func(o *cluster.Options) { o.Logs = logs })
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	v, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("killed", "ada@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitPublished(t, c, env.ID, v)
	published := countPublished(t, c, env.ID)

	var changes []int64
	for _, step := range []string{"after-commit", "after-puback", "after-mark"} {
		v := killWriterAt(t, c, logs, cl, env, step)
		changes = append(changes, v)
		for _, ev := range c.Evaluators {
			waitEvaluatorVersion(t, ev, env.ID, v)
		}
		t.Logf("writer killed %s v%d: every evaluator serves v%d", step, v, v)
	}
	// Absence is the assertion: a second publish would come within a publish poll (1 s) of the new writer.
	time.Sleep(2 * time.Second)
	if diff := cmp.Diff(changes, published()); diff != "" {
		t.Errorf("versions published on the environment's subject mismatch (-want +got):\n%s", diff)
	}
	applies := logs.checkAppliedInOrder(t, env.ID)
	if len(applies) != len(c.Evaluators) {
		t.Fatalf("applied snapshots logged by %d evaluators, want %d: %v", len(applies), len(c.Evaluators), applies)
	}
	t.Logf("versions applied by each evaluator: %v", applies)
	for name, runs := range applies {
		for _, run := range runs {
			for _, v := range changes {
				if !slices.Contains(run, v) {
					t.Errorf("%s never applied v%d: %v", name, v, run)
				}
			}
		}
	}
}

// killWriterAt replaces the cluster's writer by one paused at step, commits a change through it, kills it
// with SIGKILL at the pause, and starts a plain writer in its place. It returns the change's version.
func killWriterAt(t *testing.T, c *cluster.Cluster, logs *faultLogs, cl *admin.Client, env admin.Environment, step string) int64 {
	t.Helper()
	ctx := context.Background()
	if err := c.Writer.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop writer: %v", err)
	}
	hooked := c.NewWriter(c.Writer.Addr)
	hooked.Env = append(hooked.Env, "HALYARD_TEST_PAUSE_AT="+step)
	if err := hooked.Start(); err != nil {
		t.Fatal(err)
	}
	if err := hooked.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	v, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "killed"), map[string]any{"name": "killed " + step}, nil)
	if err != nil {
		t.Fatalf("change before the kill %s: %v", step, err)
	}
	if p := logs.waitPaused(t, step); p.Env != env.ID || p.Version != v {
		t.Fatalf("writer paused %s at environment %d v%d, want environment %d v%d", step, p.Env, p.Version, env.ID, v)
	}
	if err := hooked.Kill(); err != nil {
		t.Fatal(err)
	}
	c.Writer = c.NewWriter(c.Writer.Addr)
	if err := c.Writer.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Writer.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return v
}

// waitEvaluatorVersion waits until the evaluator's /status serves the environment at version.
func waitEvaluatorVersion(tb testing.TB, ev *cluster.Process, envID, version int64) {
	tb.Helper()
	checkFor(tb, 30*time.Second, 10*time.Millisecond, func() error {
		got, err := statusVersion(ev, envID)
		if err != nil {
			return err
		}
		if got != version {
			return fmt.Errorf("%s serves environment %d at v%d, want v%d", ev.Name, envID, got, version)
		}
		return nil
	})
}

// statusVersion is the version of the environment an evaluator's /status reports (0 when it has none).
func statusVersion(ev *cluster.Process, envID int64) (int64, error) {
	s, err := adminStatus(ev)
	if err != nil {
		return 0, err
	}
	for _, e := range s.Environments {
		if e.ID == envID {
			return e.Version, nil
		}
	}
	return 0, nil
}
