package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestFaultTwentyEvaluatorsRestartAtOnce: twenty evaluators, stopped together and started together, all
// become ready and answer every environment; then one of them is made a slow consumer (every apply delayed)
// and a change still reaches the nineteen others at once.
func TestFaultTwentyEvaluatorsRestartAtOnce(t *testing.T) {
	slowFault(t)
	const evaluators, environments = 20, 5
	c := startClusterWith(t, 0, func(*cluster.Options) {})
	ctx := context.Background()
	startEvaluators(t, c, evaluators)
	envs := make([]admin.Environment, environments)
	var cl *admin.Client
	for i := range envs {
		cl, envs[i] = newEnvironment(t, c)
		v, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(envs[i].ID), emailFlag("herd", "ada@example.com"), nil)
		if err != nil {
			t.Fatal(err)
		}
		waitPublished(t, c, envs[i].ID, v)
	}

	start := time.Now()
	eachAtOnce(t, c.Evaluators, func(ev *cluster.Process) error { return ev.Stop(10 * time.Second) })
	eachAtOnce(t, c.Evaluators, func(ev *cluster.Process) error {
		if err := ev.Start(); err != nil {
			return err
		}
		return ev.WaitReady(ctx, 60*time.Second)
	})
	t.Logf("%d evaluators stopped and started at once: all ready after %s", evaluators, time.Since(start).Round(time.Millisecond))
	eachAtOnce(t, c.Evaluators, func(ev *cluster.Process) error {
		for _, env := range envs {
			r, err := tryFlags(ev, env.SDKKey, "u", map[string]any{"email": "ada@example.com"})
			if err != nil {
				return err
			}
			if !r.Flags["herd"].Enabled {
				return fmt.Errorf("%s answered environment %d without its flag right after ready: %+v", ev.Name, env.ID, r.Flags)
			}
		}
		return nil
	})

	slowConsumerDoesNotStall(t, c, cl, envs[0])
}

// slowConsumerDoesNotStall replaces the first evaluator by one that delays every apply, then checks that a
// change reaches every other evaluator well before the slow one, which catches up later.
func slowConsumerDoesNotStall(t *testing.T, c *cluster.Cluster, cl *admin.Client, env admin.Environment) {
	t.Helper()
	ctx := context.Background()
	const delay = 3 * time.Second
	slow := c.Evaluators[0]
	if err := slow.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	slow.Env = append(slow.Env, "HALYARD_TEST_APPLY_DELAY="+delay.String())
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	if err := slow.WaitReady(ctx, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	v, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "herd"), map[string]any{"name": "past the slow one"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eachAtOnce(t, c.Evaluators[1:], func(ev *cluster.Process) error {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			got, err := statusVersion(ev, env.ID)
			if err == nil && got == v {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s serves v%d (%v) after 30s, want v%d", ev.Name, got, err, v)
			}
		}
	})
	took := time.Since(start)
	if got, err := statusVersion(slow, env.ID); err != nil || got >= v || took >= delay {
		t.Fatalf("the change took %s to reach the %d others; the slow consumer serves v%d (%v), want it still behind v%d",
			took, len(c.Evaluators)-1, got, err, v)
	}
	t.Logf("the change reached the %d other evaluators in %s while the slow consumer (apply delay %s) was behind",
		len(c.Evaluators)-1, took.Round(time.Millisecond), delay)
	waitEvaluatorVersion(t, slow, env.ID, v)
}

// eachAtOnce runs fn on every process at the same time and fails the test with the errors.
func eachAtOnce(t *testing.T, procs []*cluster.Process, fn func(*cluster.Process) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(procs))
	for i, p := range procs {
		wg.Go(func() { errs[i] = fn(p) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// startEvaluators starts n more evaluators of the cluster at once and waits until they are ready. An
// evaluator whose free port was taken meanwhile (by another test on the machine) is started again on
// another one.
func startEvaluators(t *testing.T, c *cluster.Cluster, n int) {
	t.Helper()
	evs := make([]*cluster.Process, n)
	for i := range evs {
		addr, _ := cluster.FreeAddr()
		evs[i] = c.NewEvaluator(addr)
	}
	t.Cleanup(func() {
		for _, ev := range evs {
			_ = ev.Stop(10 * time.Second)
		}
	})
	eachAtOnce(t, evs, func(ev *cluster.Process) error {
		for attempt := 1; ; attempt++ {
			if err := ev.Start(); err != nil {
				return err
			}
			err := ev.WaitReady(context.Background(), 60*time.Second)
			if err == nil || attempt == 3 {
				return err
			}
			_ = ev.Stop(10 * time.Second)
			ev.Addr, _ = cluster.FreeAddr()
			ev.AdminAddr, _ = cluster.FreeAddr()
			ev.Env = append(ev.Env, "EVALUATOR_ADDR="+ev.Addr, "HALYARD_ADMIN_ADDR="+ev.AdminAddr)
		}
	})
	c.Evaluators = append(c.Evaluators, evs...)
}
