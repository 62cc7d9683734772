package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
	"github.com/halyard-flags/halyard/devkit/loadgen"
)

// soakRate is the soak's request rate through HAProxy: modest, since the machine also runs the cluster.
const soakRate = 100

// TestSoak (make soak; SOAK_DURATION sets how long, and the test is skipped without it): SDK requests at a
// fixed rate through HAProxy to two evaluators, while an admin changes a flag every second and one
// component is restarted every SOAK_RESTART_EVERY (default 1m) in turn: an evaluator, the writer, a node of
// the 3-node NATS cluster. Not one request fails; every evaluator applies the changes in order, never one
// twice, and serves each within a bound; goroutines and heap stay flat (from /metrics).
func TestSoak(t *testing.T) {
	duration, every := soakConfig(t)
	logs := newFaultLogs(t)
	c := startClusterWith(t, 2, func(o *cluster.Options) { o.Logs = logs; o.NATSNodes = 3; o.LameDuck = rollingLameDuck })
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	created, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), map[string]any{"key": "soak",
		"filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range c.Evaluators {
		waitEvaluatorAtLeast(t, ev, env.ID, created)
	}
	lb := startHAProxy(t, c.Evaluators)
	body, _ := json.Marshal(map[string]any{"token": env.SDKKey, "distinct_id": "soak-user"})
	target := loadgen.Target{Method: http.MethodPost, URL: lb.URL + "/flags?v=2",
		Header: http.Header{"Content-Type": {"application/json"}}, Bodies: [][]byte{body}, Check: soakAnswer}
	results := make(chan *loadgen.Result, 1)
	go func() {
		results <- loadgen.Run(ctx, target, loadgen.Config{Rate: soakRate, Duration: duration, Workers: 32, Timeout: 5 * time.Second})
	}()

	s := startSoakObservers(t, c, cl, env)
	restartInTurn(t, c, lb, s, duration, every)
	res := <-results
	s.stop()
	t.Logf("soak %s at %d/s through HAProxy: %d sent, %d succeeded, %d failed; latency p50 %s, p99 %s, max %s; restarts: %v",
		duration, soakRate, res.Sent, res.OK, res.Errors, res.Latency.Quantile(0.5), res.Latency.Quantile(0.99), res.Latency.Max(), s.restarts)
	if res.Errors != 0 || res.OK != res.Sent {
		t.Errorf("%d of %d requests failed (statuses %v); last error: %s", res.Sent-res.OK, res.Sent, res.Statuses, res.LastError)
	}
	s.check(t, c, logs, env.ID)
}

// soakConfig reads SOAK_DURATION (the test is skipped without it) and SOAK_RESTART_EVERY (default 1m).
func soakConfig(t *testing.T) (duration, every time.Duration) {
	t.Helper()
	raw := os.Getenv("SOAK_DURATION")
	if raw == "" {
		t.Skip("the soak runs with SOAK_DURATION set (make soak: 10m; make test-faults: 1m)")
	}
	duration, err := time.ParseDuration(raw)
	if err != nil || duration < 30*time.Second {
		t.Fatalf("SOAK_DURATION=%q: want a duration of 30s or more", raw)
	}
	every = time.Minute
	if raw := os.Getenv("SOAK_RESTART_EVERY"); raw != "" {
		if every, err = time.ParseDuration(raw); err != nil || every < 10*time.Second {
			t.Fatalf("SOAK_RESTART_EVERY=%q: want a duration of 10s or more", raw)
		}
	}
	return duration, every
}

// soakAnswer accepts a 200 whose flags hold "soak", enabled.
func soakAnswer(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %s", status, body)
	}
	var r admin.FlagsResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("answer %q: %w", body, err)
	}
	if f, ok := r.Flags["soak"]; !ok || !f.Enabled {
		return fmt.Errorf("answer without the flag enabled: %s", body)
	}
	return nil
}
