package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
)

// emailFlag targets one email address, with no rollout limit.
func emailFlag(key, email string) map[string]any {
	return map[string]any{
		"key": key, "name": "Targets " + email,
		"filters": map[string]any{"groups": []any{map[string]any{
			"properties":         []any{map[string]any{"key": "email", "type": "person", "operator": "exact", "value": []any{email}}},
			"rollout_percentage": 100,
		}}},
	}
}

// TestFlagLifecycle: create → every evaluator answers it; update → new answer; delete → gone.
func TestFlagLifecycle(t *testing.T) {
	c := startCluster(t, 2)
	cl, env := newEnvironment(t, c)
	ctx := context.Background()

	if _, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("beta", "ada@example.com"), nil); err != nil {
		t.Fatalf("create flag: %v", err)
	}
	for _, ev := range c.Evaluators {
		checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
			r, err := tryFlags(ev, env.SDKKey, "user-1", map[string]any{"email": "ada@example.com"})
			if err != nil {
				return err
			}
			if f, ok := r.Flags["beta"]; !ok || !f.Enabled || f.Reason.Code != "condition_match" {
				return fmt.Errorf("%s: beta = %+v (present %v)", ev.Name, f, ok)
			}
			return nil
		})
		r := flags(t, ev, env.SDKKey, "user-2", map[string]any{"email": "bob@example.com"})
		if f := r.Flags["beta"]; f.Enabled {
			t.Errorf("%s: beta enabled for a non-matching email: %+v", ev.Name, f)
		}
	}

	patch := map[string]any{"filters": map[string]any{"groups": []any{map[string]any{
		"properties":         []any{map[string]any{"key": "email", "type": "person", "operator": "exact", "value": []any{"bob@example.com"}}},
		"rollout_percentage": 100,
	}}}}
	if _, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "beta"), patch, nil); err != nil {
		t.Fatalf("patch flag: %v", err)
	}
	for _, ev := range c.Evaluators {
		checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
			r, err := tryFlags(ev, env.SDKKey, "user-2", map[string]any{"email": "bob@example.com"})
			if err != nil {
				return err
			}
			if f := r.Flags["beta"]; !f.Enabled || f.Metadata.Version != 2 {
				return fmt.Errorf("%s: after patch beta = %+v", ev.Name, f)
			}
			return nil
		})
	}

	if _, err := cl.Do(ctx, http.MethodDelete, admin.FlagPath(env.ID, "beta"), nil, nil); err != nil {
		t.Fatalf("delete flag: %v", err)
	}
	for _, ev := range c.Evaluators {
		checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
			r, err := tryFlags(ev, env.SDKKey, "user-2", map[string]any{"email": "bob@example.com"})
			if err != nil {
				return err
			}
			if f, ok := r.Flags["beta"]; ok {
				return fmt.Errorf("%s: deleted flag still answered: %+v", ev.Name, f)
			}
			return nil
		})
	}
}

// TestUnknownTokenIsRefused: the evaluator answers 401 with a JSON error for a token it does not know.
func TestUnknownTokenIsRefused(t *testing.T) {
	c := startCluster(t, 1)
	_, status, err := admin.Flags(context.Background(), httpClient, c.Evaluators[0].URL(), "phc_unknown", "u", nil)
	if status != http.StatusUnauthorized || err == nil {
		t.Fatalf("status = %d, err = %v; want 401", status, err)
	}
}
