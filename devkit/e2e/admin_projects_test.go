package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

type keyAnswer struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Value     string     `json:"value"`
	ExpiresAt *time.Time `json:"expires_at"`
}

type envDetail struct {
	ID         int64             `json:"id"`
	Version    int64             `json:"version"`
	Keys       []keyAnswer       `json:"keys"`
	GroupTypes map[string]string `json:"group_types"`
}

func evaluatorStatus(t *testing.T, c *cluster.Cluster, token string) int {
	t.Helper()
	_, status, _ := admin.Flags(t.Context(), httpClient, c.Evaluators[0].URL(), token, "u", nil)
	return status
}

func adminProjectsAndKeys(t *testing.T, c *cluster.Cluster, cl *admin.Client) {
	p := decode[struct{ ID int64 }](t, call(t, cl, http.MethodPost, "/api/v1/projects", map[string]any{"name": "shop"}, http.StatusCreated))
	wantError(t, cl, http.MethodPost, "/api/v1/projects", map[string]any{"name": " "}, http.StatusUnprocessableEntity, "validation_failed")
	envs := fmt.Sprintf("/api/v1/projects/%d/environments", p.ID)
	var env admin.Environment
	for _, name := range []string{"development", "staging", "production"} {
		env = decode[admin.Environment](t, call(t, cl, http.MethodPost, envs, map[string]any{"name": name}, http.StatusCreated))
	}
	wantError(t, cl, http.MethodPost, envs, map[string]any{"name": "staging"}, http.StatusConflict, "environment_exists")
	wantError(t, cl, http.MethodPost, "/api/v1/projects/999999/environments", map[string]any{"name": "x"}, http.StatusNotFound, "project_not_found")
	list := decode[struct{ Environments []admin.Environment }](t, call(t, cl, http.MethodGet, envs, nil, http.StatusOK))
	if len(list.Environments) != 3 || list.Environments[0].ServerKey != "" {
		t.Fatalf("environments = %+v", list.Environments)
	}
	call(t, cl, http.MethodGet, fmt.Sprintf("/api/v1/projects/%d", p.ID), nil, http.StatusOK)
	call(t, cl, http.MethodGet, "/api/v1/projects", nil, http.StatusOK)
	wantError(t, cl, http.MethodGet, "/api/v1/projects/999999", nil, http.StatusNotFound, "project_not_found")

	// Group types travel in the environment (and its snapshot).
	call(t, cl, http.MethodPut, envPath(env.ID, "/group-types"), map[string]string{"0": "company", "1": "team"}, http.StatusOK)
	wantError(t, cl, http.MethodPut, envPath(env.ID, "/group-types"), map[string]string{"9": "x"}, http.StatusUnprocessableEntity, "validation_failed")
	groupFlag := map[string]any{"key": "companies", "filters": map[string]any{"aggregation_group_type_index": 0,
		"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}}}}
	call(t, cl, http.MethodPost, envPath(env.ID, "/flags"), groupFlag, http.StatusCreated)
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		body := fmt.Sprintf(`{"token": %q, "distinct_id": "u", "groups": {"company": "acme"}}`, env.SDKKey)
		resp, err := httpClient.Post(c.Evaluators[0].URL()+"/flags?v=2", "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var out admin.FlagsResponse
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return err
		}
		if !out.Flags["companies"].Enabled {
			return fmt.Errorf("group flag for company acme = %+v (the snapshot lacks group types?)", out.Flags["companies"])
		}
		return nil
	})

	// Rotation with a grace period: both SDK keys work, then the old one is revoked.
	waitStatus(t, c, env.SDKKey, http.StatusOK)
	rot := decode[struct{ Key keyAnswer }](t, call(t, cl, http.MethodPost, envPath(env.ID, "/keys/rotate"),
		map[string]any{"kind": "sdk", "grace_seconds": 3600}, http.StatusCreated))
	waitStatus(t, c, rot.Key.Value, http.StatusOK)
	if s := evaluatorStatus(t, c, env.SDKKey); s != http.StatusOK {
		t.Fatalf("old SDK key during its grace period: %d", s)
	}
	d := decode[envDetail](t, call(t, cl, http.MethodGet, envPath(env.ID, ""), nil, http.StatusOK))
	var old keyAnswer
	for _, k := range d.Keys {
		if k.Value == env.SDKKey {
			old = k
		}
		if k.Kind == "server" && k.Value != "" {
			t.Fatalf("a server key is shown: %+v", k)
		}
	}
	if old.ExpiresAt == nil || time.Until(*old.ExpiresAt) < 59*time.Minute || d.GroupTypes["0"] != "company" {
		t.Fatalf("environment after rotation: %+v", d)
	}
	call(t, cl, http.MethodDelete, envPath(env.ID, fmt.Sprintf("/keys/%d", old.ID)), nil, http.StatusNoContent)
	waitStatus(t, c, env.SDKKey, http.StatusUnauthorized)
	if s := evaluatorStatus(t, c, rot.Key.Value); s != http.StatusOK {
		t.Fatalf("new SDK key after revoking the old: %d", s)
	}
	wantError(t, cl, http.MethodDelete, envPath(env.ID, fmt.Sprintf("/keys/%d", old.ID)), nil, http.StatusNotFound, "key_not_found")

	// Server key rotation with no grace revokes the old one at once.
	srv := decode[struct{ Key keyAnswer }](t, call(t, cl, http.MethodPost, envPath(env.ID, "/keys/rotate"),
		map[string]any{"kind": "server", "grace_seconds": 0}, http.StatusCreated))
	if len(srv.Key.Value) < 20 || srv.Key.Value[:4] != "phs_" {
		t.Fatalf("new server key = %+v", srv.Key)
	}
	d = decode[envDetail](t, call(t, cl, http.MethodGet, envPath(env.ID, ""), nil, http.StatusOK))
	servers := 0
	for _, k := range d.Keys {
		if k.Kind == "server" {
			servers++
		}
	}
	if servers != 1 {
		t.Fatalf("server keys after rotating with no grace: %+v", d.Keys)
	}
	p2 := decode[problemsAnswer](t, wantError(t, cl, http.MethodPost, envPath(env.ID, "/keys/rotate"),
		map[string]any{"kind": "root", "grace_seconds": -1}, http.StatusUnprocessableEntity, "validation_failed"))
	if len(p2.Details) != 2 {
		t.Fatalf("rotate problems = %+v", p2.Details)
	}
	wantError(t, cl, http.MethodPost, envPath(999999, "/keys/rotate"), map[string]any{"kind": "sdk"}, http.StatusNotFound, "environment_not_found")
}

func waitStatus(t *testing.T, c *cluster.Cluster, token string, want int) {
	t.Helper()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if s := evaluatorStatus(t, c, token); s != want {
			return fmt.Errorf("evaluator answers %d for %s, want %d", s, token, want)
		}
		return nil
	})
}
