package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
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

// evaluatorHeader names the evaluator that answered, as the load balancer sets it.
const evaluatorHeader = "X-Halyard-Evaluator"

// flagEnabled asks the evaluators, through lbURL, whether flag is enabled for a user, and says which
// evaluator answered.
func flagEnabled(ctx context.Context, lbURL, sdkKey, flag string) (enabled bool, evaluator string, err error) {
	body, err := json.Marshal(map[string]any{"token": sdkKey, "distinct_id": "compose-test-user"})
	if err != nil {
		return false, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, lbURL+"/flags?v=2", bytes.NewReader(body))
	if err != nil {
		return false, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	evaluator = resp.Header.Get(evaluatorHeader)
	var answer struct {
		Flags map[string]struct{ Enabled bool } `json:"flags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != http.StatusOK {
		return false, evaluator, fmt.Errorf("/flags through the load balancer: HTTP %d (%v)", resp.StatusCode, err)
	}
	f, ok := answer.Flags[flag]
	if !ok {
		return false, evaluator, fmt.Errorf("%s's answer has no flag %q", evaluator, flag)
	}
	return f.Enabled, evaluator, nil
}

// waitAgreed polls the load balancer until every one of evaluators has answered that flag is enabled (or
// not). Evaluators only ever move to newer versions, so one that has answered with the change keeps it.
func waitAgreed(tb testing.TB, lbURL, sdkKey, flag string, enabled bool, evaluators []string, timeout time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start, agreed, last := time.Now(), map[string]bool{}, "no answer yet"
	for len(agreed) < len(evaluators) {
		got, evaluator, err := flagEnabled(ctx, lbURL, sdkKey, flag)
		switch {
		case err == nil && got == enabled && slices.Contains(evaluators, evaluator):
			agreed[evaluator] = true
			continue
		case err == nil:
			last = fmt.Sprintf("%q answered enabled=%v", evaluator, got)
		default:
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("flag %q not enabled=%v on every evaluator after %s (agreed: %v; last: %s)",
				flag, enabled, timeout, agreed, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
	tb.Logf("flag %q enabled=%v on %v after %s", flag, enabled, evaluators, time.Since(start).Round(time.Millisecond))
}

// target is one of Prometheus's active targets.
type target struct {
	Labels    struct{ Job, Instance string } `json:"labels"`
	Health    string                         `json:"health"`
	LastError string                         `json:"lastError"`
}

// scrapedTargets polls Prometheus until every target of want (job → instances) has been scraped and is up,
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
				if t, ok := got[job+" "+inst]; !ok || t.Health != "up" {
					pending = append(pending, job+" "+inst+" ("+t.Health+" "+t.LastError+")")
				}
			}
		}
		if err == nil && len(pending) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Prometheus has not found every target up after %s: %s (%v)", timeout,
				strings.Join(pending, ", "), err)
		}
		time.Sleep(time.Second)
	}
}
