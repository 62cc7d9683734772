package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestRateLimitAnswers429WithRetryAfter: an evaluator started with HALYARD_RATE_LIMIT refuses a key's
// requests past its burst with 429 and an integer Retry-After, and serves other keys meanwhile.
func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	c := startCluster(t, 0)
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	v, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("limited", "a@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitPublished(t, c, env.ID, v)

	addr, _ := cluster.FreeAddr()
	ev := c.NewEvaluator(addr)
	ev.Env = append(ev.Env, "HALYARD_RATE_LIMIT=0.5", "HALYARD_RATE_BURST=2")
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	c.Evaluators = append(c.Evaluators, ev)
	if err := ev.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	ofrep := func(key string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, ev.URL()+"/ofrep/v1/evaluate/flags/limited",
			bytes.NewReader([]byte(`{"context":{"targetingKey":"u1","email":"a@example.com"}}`)))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 2 {
		if r := ofrep(env.SDKKey); r.StatusCode != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i+1, r.StatusCode)
		}
	}
	r := ofrep(env.SDKKey)
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("request past the burst: %d, want 429", r.StatusCode)
	}
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 2 {
		t.Fatalf("Retry-After %q: want whole seconds, 1 or 2 at 0.5 req/s", r.Header.Get("Retry-After"))
	}
	if r := ofrep(env.ServerKey); r.StatusCode != http.StatusOK {
		t.Fatalf("another key was refused: %d", r.StatusCode)
	}
}
