package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

var httpClient = &http.Client{Timeout: 5 * time.Second}

// call sends method url with body as JSON (nil = none) and bearer token (if any), decodes a JSON answer into
// out (if not nil) and returns the status.
func call(ctx context.Context, method, url, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d %s", method, url, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, url, err)
		}
	}
	return resp.StatusCode, nil
}

// rollout is a flag body that serves the flag to pct percent of users.
func rollout(pct int) map[string]any {
	return map[string]any{"filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": pct}}}}
}

// flagEnabled asks the evaluators, through lbURL, whether flag is enabled for a user.
func flagEnabled(ctx context.Context, lbURL, sdkKey, flag string) (bool, error) {
	var answer struct {
		Flags map[string]struct{ Enabled bool } `json:"flags"`
	}
	body := map[string]any{"token": sdkKey, "distinct_id": "compose-test-user"}
	if _, err := call(ctx, http.MethodPost, lbURL+"/flags?v=2", "", body, &answer); err != nil {
		return false, err
	}
	f, ok := answer.Flags[flag]
	if !ok {
		return false, fmt.Errorf("the answer has no flag %q", flag)
	}
	return f.Enabled, nil
}

// waitAgreed polls the load balancer until n answers in a row say flag is enabled (or not): with round
// robin over every ready evaluator, n at least their number means each of them has the change.
func waitAgreed(tb testing.TB, lbURL, sdkKey, flag string, enabled bool, n int, timeout time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start, inARow, last := time.Now(), 0, "no answer yet"
	for inARow < n {
		got, err := flagEnabled(ctx, lbURL, sdkKey, flag)
		switch {
		case err == nil && got == enabled:
			inARow++
			continue
		case err == nil:
			last = fmt.Sprintf("enabled=%v", got)
		default:
			last = err.Error()
		}
		inARow = 0
		select {
		case <-ctx.Done():
			tb.Fatalf("flag %q not enabled=%v through the load balancer after %s (last: %s)", flag, enabled, timeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
	tb.Logf("flag %q enabled=%v on %d answers in a row after %s", flag, enabled, n, time.Since(start).Round(time.Millisecond))
}

// target is one of Prometheus's active targets.
type target struct {
	Labels    struct{ Job, Instance string } `json:"labels"`
	Health    string                         `json:"health"`
	LastError string                         `json:"lastError"`
}

// scrapedTargets polls Prometheus until every target of want (job → instances) has been scraped once, and
// returns them by "job instance".
func scrapedTargets(tb testing.TB, promURL string, want map[string][]string, timeout time.Duration) map[string]target {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var answer struct {
			Data struct {
				ActiveTargets []target `json:"activeTargets"`
			} `json:"data"`
		}
		_, err := call(context.Background(), http.MethodGet, promURL+"/api/v1/targets", "", nil, &answer)
		got := map[string]target{}
		for _, t := range answer.Data.ActiveTargets {
			got[t.Labels.Job+" "+t.Labels.Instance] = t
		}
		var pending []string
		for job, instances := range want {
			for _, inst := range instances {
				if t, ok := got[job+" "+inst]; !ok || t.Health == "unknown" {
					pending = append(pending, job+" "+inst)
				}
			}
		}
		if err == nil && len(pending) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Prometheus has not scraped every target after %s: pending %s (%v)", timeout,
				strings.Join(pending, ", "), err)
		}
		time.Sleep(time.Second)
	}
}
