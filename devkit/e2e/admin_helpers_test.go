package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// call sends one admin request and fails the test unless the answer has status want.
func call(tb testing.TB, cl *admin.Client, method, path string, body any, want int, headers ...map[string]string) *admin.Response {
	tb.Helper()
	var h map[string]string
	if len(headers) > 0 {
		h = headers[0]
	}
	r, err := cl.Request(context.Background(), method, path, body, h)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	if r.Status != want {
		tb.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// wantError checks an error answer's status and code.
func wantError(tb testing.TB, cl *admin.Client, method, path string, body any, status int, code string, headers ...map[string]string) *admin.Response {
	tb.Helper()
	r := call(tb, cl, method, path, body, status, headers...)
	if got := r.Code(); got != code {
		tb.Fatalf("%s %s: code %q, want %q; body %s", method, path, got, code, r.Body)
	}
	return r
}

func decode[T any](tb testing.TB, r *admin.Response) T {
	tb.Helper()
	var v T
	if err := r.JSON(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// envPath is the admin path of an environment (plus a suffix).
func envPath(envID int64, suffix string) string {
	return fmt.Sprintf("/api/v1/environments/%d%s", envID, suffix)
}

// flagRule enables a flag for everyone whose person property key equals value.
func flagRule(key, prop, value string) map[string]any {
	return map[string]any{"key": key, "name": key, "filters": map[string]any{"groups": []any{map[string]any{
		"properties":         []any{map[string]any{"key": prop, "type": "person", "operator": "exact", "value": []any{value}}},
		"rollout_percentage": 100,
	}}}}
}

// waitFlag polls every evaluator until check accepts the answer for distinctID.
func waitFlag(tb testing.TB, c *cluster.Cluster, token, distinctID string, props map[string]any, check func(*admin.FlagsResponse) error) {
	tb.Helper()
	for _, ev := range c.Evaluators {
		checkFor(tb, 10*time.Second, 5*time.Millisecond, func() error {
			r, _, err := admin.Flags(context.Background(), httpClient, ev.URL(), token, distinctID, props)
			if err != nil {
				return err
			}
			return check(r)
		})
	}
}
