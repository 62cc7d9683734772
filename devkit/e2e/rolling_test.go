package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
	"github.com/halyard-flags/halyard/devkit/loadgen"
)

// rollingLameDuck is the evaluators' lame duck: well over HAProxy's detection time (one failed check, every
// 200 ms), with room for a loaded machine.
const rollingLameDuck = 2 * time.Second

// TestRollingRestart: two evaluators behind HAProxy answer a steady stream of /flags requests while each in
// turn is stopped with SIGTERM and started again. Not one request fails: every answer is 200 with the flag.
// HAProxy checks /readyz every 200 ms, takes a process out after one failed check and puts it back after
// two passed ones, and does not retry.
func TestRollingRestart(t *testing.T) {
	c := startClusterWith(t, 2, func(o *cluster.Options) { o.LameDuck = rollingLameDuck })
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	launch := map[string]any{"key": "rolling", "filters": map[string]any{"groups": []any{
		map[string]any{"properties": []any{}, "rollout_percentage": 100}}}}
	if _, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), launch, nil); err != nil {
		t.Fatalf("create flag: %v", err)
	}
	for _, ev := range c.Evaluators {
		waitRollingFlag(t, ev, env.SDKKey)
	}
	body, _ := json.Marshal(map[string]any{"token": env.SDKKey, "distinct_id": "user-1"})
	rollingRestart(t, c.Evaluators, func(lb *haproxy) loadgen.Target {
		return loadgen.Target{Method: http.MethodPost, URL: lb.URL + "/flags?v=2",
			Header: http.Header{"Content-Type": {"application/json"}}, Bodies: [][]byte{body}, Check: rollingAnswer}
	})
}

// TestRollingRestartWriters: two writers behind HAProxy answer a steady stream of admin reads while each in
// turn is stopped with SIGTERM and started again; not one read fails.
func TestRollingRestartWriters(t *testing.T) {
	c := startClusterWith(t, 0, func(o *cluster.Options) { o.LameDuck = rollingLameDuck })
	addr, _ := cluster.FreeAddr()
	second := c.NewWriter(addr)
	second.Name = "writer-2"
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Stop(rollingLameDuck + 20*time.Second) })
	if err := second.WaitReady(context.Background(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, env := newEnvironment(t, c); env.ID == 0 {
		t.Fatal("no environment created")
	}
	rollingRestart(t, []*cluster.Process{c.Writer, second}, func(lb *haproxy) loadgen.Target {
		return loadgen.Target{Method: http.MethodGet, URL: lb.URL + "/api/v1/projects",
			Header: http.Header{"Authorization": {"Bearer " + c.Opts.AdminToken}}, Check: projectsAnswer}
	})
}

// rollingRestart puts procs behind HAProxy, sends target's request through it at a steady rate, and
// SIGTERMs and restarts each process in turn, waiting for HAProxy to count it up and send it traffic again
// before the next. Every request must succeed.
func rollingRestart(t *testing.T, procs []*cluster.Process, target func(*haproxy) loadgen.Target) {
	t.Helper()
	ctx := context.Background()
	lb := startHAProxy(t, procs)
	const rate, duration = 100, 12 * time.Second
	results := make(chan *loadgen.Result, 1)
	started := time.Now()
	go func() {
		results <- loadgen.Run(ctx, target(lb), loadgen.Config{Rate: rate, Duration: duration, Workers: 16, Timeout: 5 * time.Second})
	}()

	for i := range procs {
		lb.waitServed(t, i, 0) // all carry the load before any stops
	}
	for i, p := range procs {
		if err := p.Stop(rollingLameDuck + 20*time.Second); err != nil {
			t.Fatalf("%s did not exit cleanly on SIGTERM: %v", p.Name, err)
		}
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		if err := p.WaitReady(ctx, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		lb.waitStatus(t, i, "UP")
		lb.waitServed(t, i, lb.served(t, i)) // traffic is back on it before the next one stops
		t.Logf("%s restarted %s into the load", p.Name, time.Since(started).Round(time.Millisecond))
	}
	if restarted := time.Since(started); restarted > duration {
		t.Fatalf("the restarts took %s, longer than the load (%s): the test proves less than it says", restarted, duration)
	}

	res := <-results
	t.Logf("%d requests through HAProxy at %d/s during %d rolling restarts: %d succeeded, %d failed; "+
		"latency p50 %s, p99 %s, max %s", res.Sent, rate, len(procs), res.OK, res.Errors,
		res.Latency.Quantile(0.5), res.Latency.Quantile(0.99), res.Latency.Max())
	if res.Errors != 0 || res.OK != res.Sent {
		t.Fatalf("%d of %d requests failed (statuses %v); last error: %s", res.Sent-res.OK, res.Sent, res.Statuses, res.LastError)
	}
}

// projectsAnswer accepts a 200 listing the project.
func projectsAnswer(status int, body []byte) error {
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"e2e"`)) {
		return fmt.Errorf("status %d: %s", status, body)
	}
	return nil
}

// rollingAnswer accepts a 200 whose flags hold "rolling", enabled.
func rollingAnswer(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %s", status, body)
	}
	var r admin.FlagsResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("answer %q: %w", body, err)
	}
	if f, ok := r.Flags["rolling"]; !ok || !f.Enabled {
		return fmt.Errorf("answer without the flag enabled: %s", body)
	}
	return nil
}

func waitRollingFlag(tb testing.TB, ev *cluster.Process, sdkKey string) {
	tb.Helper()
	checkFor(tb, 10*time.Second, 10*time.Millisecond, func() error {
		r, err := tryFlags(ev, sdkKey, "user-1", nil)
		if err != nil {
			return err
		}
		if f := r.Flags["rolling"]; !f.Enabled {
			return fmt.Errorf("%s: rolling = %+v", ev.Name, f)
		}
		return nil
	})
}
