package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestEvaluatorStartsFromDisk: an evaluator with HALYARD_SNAPSHOT_DIR applies two environments and is
// stopped; NATS stops; the evaluator started again on the same directory is ready from disk, answers both
// environments' flags and says "disk" in /status; once NATS is back, the next change reaches it and every
// environment's source is "stream".
func TestEvaluatorStartsFromDisk(t *testing.T) {
	c := startCluster(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	type envFlag struct {
		cl   *admin.Client
		env  admin.Environment
		flag string
	}
	var envs []envFlag
	for i := range 2 {
		cl, env := newEnvironment(t, c)
		key := fmt.Sprintf("from-disk-%d", i)
		v, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag(key, "ada@example.com"), nil)
		if err != nil {
			t.Fatal(err)
		}
		waitPublished(t, c, env.ID, v)
		envs = append(envs, envFlag{cl, env, key})
	}
	answers := func(ev *cluster.Process) error {
		for _, e := range envs {
			r, status, err := admin.Flags(ctx, httpClient, ev.URL(), e.env.SDKKey, "u", map[string]any{"email": "ada@example.com"})
			if err != nil || !r.Flags[e.flag].Enabled {
				return fmt.Errorf("environment %d: %d %v", e.env.ID, status, err)
			}
		}
		return nil
	}

	first := startEvaluatorWithDir(t, c, dir)
	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error { return answers(first) })
	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		for _, e := range envs {
			if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("env-%d.snap", e.env.ID))); err != nil {
				return err
			}
		}
		_, err := os.Stat(filepath.Join(dir, "catalog.snap"))
		return err
	})
	if err := first.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop the first evaluator: %v", err)
	}
	c.NATS.Stop()

	ev := startEvaluatorWithDir(t, c, dir)
	if err := ev.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatalf("an evaluator with its snapshots on disk, NATS down: %v", err)
	}
	if err := answers(ev); err != nil {
		t.Fatalf("from disk: %v", err)
	}
	want := map[int64]string{envs[0].env.ID: "disk", envs[1].env.ID: "disk"}
	if s, err := adminStatus(ev); err != nil || s.NATS.Connected || s.Status != "degraded" || !s.Ready || !sameSources(s, want) {
		t.Fatalf("/status from disk with NATS down: %+v (%v), want sources %v", s, err, want)
	}
	if n, err := metricValue(ev, "halyard_snapshots_loaded_from_disk_total"); err != nil || n != 2 {
		t.Errorf("halyard_snapshots_loaded_from_disk_total = %v (%v), want 2", n, err)
	}

	if err := c.NATS.Restart(); err != nil {
		t.Fatal(err)
	}
	changed := envs[0]
	v, err := changed.cl.Do(ctx, http.MethodPatch, admin.FlagPath(changed.env.ID, changed.flag), map[string]any{"active": false}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want = map[int64]string{envs[0].env.ID: "stream", envs[1].env.ID: "stream"}
	checkFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		s, err := adminStatus(ev)
		if err != nil {
			return err
		}
		if !s.NATS.Connected || !sameSources(s, want) {
			return fmt.Errorf("after NATS came back and v%d of environment %d: %+v", v, changed.env.ID, s)
		}
		r, _, err := admin.Flags(ctx, httpClient, ev.URL(), changed.env.SDKKey, "u", map[string]any{"email": "ada@example.com"})
		if err != nil || r.Flags[changed.flag].Enabled {
			return fmt.Errorf("the change is not answered yet: %+v %v", r, err)
		}
		return nil
	})
}

// startEvaluatorWithDir starts one more evaluator of c keeping its snapshots in dir; the cluster stops it.
func startEvaluatorWithDir(tb testing.TB, c *cluster.Cluster, dir string) *cluster.Process {
	tb.Helper()
	addr, err := cluster.FreeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	ev := c.NewEvaluator(addr)
	ev.Env = append(ev.Env, "HALYARD_SNAPSHOT_DIR="+dir)
	if err := ev.Start(); err != nil {
		tb.Fatal(err)
	}
	c.Evaluators = append(c.Evaluators, ev)
	return ev
}

// sameSources reports whether /status lists exactly these environments with these sources.
func sameSources(s *evaluatorStatusBody, want map[int64]string) bool {
	if len(s.Environments) != len(want) {
		return false
	}
	for _, e := range s.Environments {
		if want[e.ID] != e.Source {
			return false
		}
	}
	return true
}
