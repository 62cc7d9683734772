package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// rywApplyDelay holds the lagging evaluator's every snapshot: long enough that a request sent as soon as the
// writer answers reaches it before the change does, short enough for 1,000 sequential changes.
const rywApplyDelay = 15 * time.Millisecond

// TestReadYourWritesOnALaggingEvaluator creates a flag on the writer and at once evaluates it, naming the
// version the writer returned, on every evaluator (one of them applies every snapshot late on purpose,
// HALYARD_TEST_APPLY_DELAY), 1,000 times: never "not found". A request naming no version on the lagging
// evaluator, sent just before, shows that the lag is real.
func TestReadYourWritesOnALaggingEvaluator(t *testing.T) {
	c := startCluster(t, 1)
	lagging := startEvaluator(t, c, "HALYARD_TEST_APPLY_DELAY="+rywApplyDelay.String())
	envs := make([]admin.Environment, 10) // 100 flags each: snapshots stay small
	var cl *admin.Client
	for i := range envs {
		cl, envs[i] = newEnvironment(t, c)
	}
	ctx := context.Background()
	const tries = 1000
	var stale int
	waits := make([]time.Duration, 0, tries)
	start := time.Now()
	for i := range tries {
		env := envs[i%len(envs)]
		key := fmt.Sprintf("ryw-%04d", i)
		version, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), flagRule(key, "plan", "pro"), nil)
		if err != nil || version == 0 {
			t.Fatalf("create %s: version %d, %v", key, version, err)
		}
		if status, _ := ofrepOne(t, lagging, env.SDKKey, key, nil); status == http.StatusNotFound {
			stale++
		}
		for _, ev := range []*cluster.Process{lagging, c.Evaluators[0]} {
			t0 := time.Now()
			if i%2 == 0 {
				status, body := ofrepOne(t, ev, env.SDKKey, key, map[string]string{"Halyard-Min-Version": strconv.FormatInt(version, 10)})
				if status != http.StatusOK {
					t.Fatalf("try %d on %s: OFREP %s at version %d: %d %s", i, ev.Name, key, version, status, body)
				}
			} else if enabled := flagsAtVersion(t, ev, env.SDKKey, key, version); !enabled {
				t.Fatalf("try %d on %s: /flags at version %d does not answer %s enabled", i, ev.Name, version, key)
			}
			if ev == lagging {
				waits = append(waits, time.Since(t0))
			}
		}
	}
	slices.Sort(waits)
	t.Logf("%d tries in %s; the lagging evaluator answered a request without a version stale %d times; its answers with a version took p50 %s, p99 %s, max %s",
		tries, time.Since(start).Round(time.Millisecond), stale, waits[len(waits)/2], waits[len(waits)*99/100], waits[len(waits)-1])
	if stale == 0 {
		t.Fatal("the lagging evaluator was never behind: the test proves nothing")
	}
}

// startEvaluator starts one more evaluator of c with extra environment variables, stopped with the cluster.
func startEvaluator(tb testing.TB, c *cluster.Cluster, env ...string) *cluster.Process {
	tb.Helper()
	addr, err := cluster.FreeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	ev := c.NewEvaluator(addr)
	ev.Env = append(ev.Env, env...)
	if err := ev.Start(); err != nil {
		tb.Fatal(err)
	}
	c.Evaluators = append(c.Evaluators, ev)
	if err := ev.WaitReady(context.Background(), 30*time.Second); err != nil {
		tb.Fatal(err)
	}
	return ev
}

// ofrepOne evaluates one flag over OFREP and returns the status and the body.
func ofrepOne(tb testing.TB, ev *cluster.Process, sdkKey, key string, headers map[string]string) (int, []byte) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, ev.URL()+"/ofrep/v1/evaluate/flags/"+key,
		bytes.NewReader([]byte(`{"context":{"targetingKey":"u1","plan":"pro"}}`)))
	req.Header.Set("Authorization", "Bearer "+sdkKey)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return send(tb, req)
}

// flagsAtVersion asks /flags, naming the version in the query, whether key is enabled.
func flagsAtVersion(tb testing.TB, ev *cluster.Process, sdkKey, key string, version int64) bool {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"token": sdkKey, "distinct_id": "u1", "person_properties": map[string]any{"plan": "pro"},
		"flag_keys_to_evaluate": []string{key}})
	req, _ := http.NewRequest(http.MethodPost, ev.URL()+"/flags/?v=2&min_version="+strconv.FormatInt(version, 10), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	status, data := send(tb, req)
	if status != http.StatusOK {
		tb.Fatalf("/flags at version %d: %d %s", version, status, data)
	}
	var r admin.FlagsResponse
	if err := json.Unmarshal(data, &r); err != nil {
		tb.Fatal(err)
	}
	f, ok := r.Flags[key]
	return ok && f.Enabled
}

func send(tb testing.TB, req *http.Request) (int, []byte) {
	tb.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, data
}
