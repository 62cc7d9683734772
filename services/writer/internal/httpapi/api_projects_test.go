package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"go.uber.org/zap"
)

// TestProjectsAndEnvironments: projects and environments are created, listed and read; a new
// environment's answer holds its SDK and server keys, later reads only the SDK key.
func TestProjectsAndEnvironments(t *testing.T) {
	a := newAPI(t)
	var p admin.Project
	a.ok(http.MethodPost, "/projects", map[string]string{"name": "  shop "}, http.StatusCreated, &p)
	if p.Name != "shop" || p.ID == 0 {
		t.Fatalf("created %+v", p)
	}
	a.fails(http.MethodPost, "/projects", map[string]string{"name": " "}, http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPost, "/projects", raw{"application/json", `{"name": `}, http.StatusBadRequest, "invalid_json")
	var projects struct {
		Projects []admin.Project `json:"projects"`
	}
	a.ok(http.MethodGet, "/projects", nil, http.StatusOK, &projects)
	if len(projects.Projects) != 1 || projects.Projects[0].ID != p.ID {
		t.Errorf("listed %+v", projects.Projects)
	}
	a.ok(http.MethodGet, "/projects/"+idText(p.ID), nil, http.StatusOK, nil)
	a.fails(http.MethodGet, "/projects/999", nil, http.StatusNotFound, "project_not_found")
	a.fails(http.MethodGet, "/projects/0", nil, http.StatusBadRequest, "invalid_project_id")

	envs := "/projects/" + idText(p.ID) + "/environments"
	var env environmentAnswer
	rec := a.ok(http.MethodPost, envs, map[string]string{"name": "prod"}, http.StatusCreated, &env)
	if !strings.HasPrefix(env.SDKKey, "phc_") || !strings.HasPrefix(env.ServerKey, "phs_") || env.Version != 1 {
		t.Fatalf("created %+v", env)
	}
	if got := rec.Header().Get(HeaderEnvironmentVersion); got != "1" {
		t.Errorf("version header %q, want 1", got)
	}
	a.fails(http.MethodPost, envs, map[string]string{"name": "prod"}, http.StatusConflict, "environment_exists")
	a.fails(http.MethodPost, "/projects/999/environments", map[string]string{"name": "x"}, http.StatusNotFound, "project_not_found")
	var list struct {
		Environments []environmentAnswer `json:"environments"`
	}
	a.ok(http.MethodGet, envs, nil, http.StatusOK, &list)
	if len(list.Environments) != 1 || list.Environments[0].SDKKey != "" {
		t.Errorf("listed %+v, want one environment without keys", list.Environments)
	}
	a.fails(http.MethodGet, "/projects/999/environments", nil, http.StatusNotFound, "project_not_found")

	var detail admin.EnvironmentDetail
	a.ok(http.MethodGet, env.path(""), nil, http.StatusOK, &detail)
	var kinds, values []string
	for _, k := range detail.Keys {
		kinds, values = append(kinds, k.Kind), append(values, k.Value)
	}
	if diff := cmp.Diff([]string{"sdk", "server"}, kinds); diff != "" {
		t.Errorf("key kinds mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{env.SDKKey, ""}, values); diff != "" {
		t.Errorf("key values mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodGet, "/environments/999", nil, http.StatusNotFound, "environment_not_found")
}

// TestKeysAndGroupTypes: a rotation issues a new key and keeps or revokes the old ones; a revoked key is
// gone from the environment; group types are replaced as a whole.
func TestKeysAndGroupTypes(t *testing.T) {
	a := newAPI(t)
	env := a.environment("keys")
	var rotated struct {
		Key                admin.KeyInfo `json:"key"`
		EnvironmentVersion int64         `json:"environment_version"`
	}
	a.ok(http.MethodPost, env.path("/keys/rotate"), map[string]any{"kind": "server", "grace_seconds": 3600}, http.StatusCreated, &rotated)
	if !strings.HasPrefix(rotated.Key.Value, "phs_") || rotated.EnvironmentVersion != 2 {
		t.Fatalf("rotated %+v", rotated)
	}
	a.ok(http.MethodPost, env.path("/keys/rotate"), map[string]any{"kind": "sdk"}, http.StatusCreated, &rotated)
	if !strings.HasPrefix(rotated.Key.Value, "phc_") {
		t.Fatalf("rotated %+v", rotated)
	}
	e := a.fails(http.MethodPost, env.path("/keys/rotate"), map[string]any{"kind": "root", "grace_seconds": -1}, http.StatusUnprocessableEntity, "validation_failed")
	if diff := cmp.Diff([]string{"kind", "grace_seconds"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodPost, "/environments/999/keys/rotate", map[string]any{"kind": "sdk"}, http.StatusNotFound, "environment_not_found")

	var detail admin.EnvironmentDetail
	a.ok(http.MethodGet, env.path(""), nil, http.StatusOK, &detail)
	if len(detail.Keys) != 3 { // the old server key for an hour, the new one, the new SDK key
		t.Fatalf("live keys %+v, want 3", detail.Keys)
	}
	a.ok(http.MethodDelete, env.path("/keys/"+idText(rotated.Key.ID)), nil, http.StatusNoContent, nil)
	a.fails(http.MethodDelete, env.path("/keys/"+idText(rotated.Key.ID)), nil, http.StatusNotFound, "key_not_found")

	var set struct {
		GroupTypes         map[string]string `json:"group_types"`
		EnvironmentVersion int64             `json:"environment_version"`
	}
	a.ok(http.MethodPut, env.path("/group-types"), map[string]string{"0": "company", "1": "team"}, http.StatusOK, &set)
	a.ok(http.MethodPut, env.path("/group-types"), map[string]string{"0": "organization"}, http.StatusOK, &set)
	a.ok(http.MethodGet, env.path(""), nil, http.StatusOK, &detail)
	if diff := cmp.Diff(map[int]string{0: "organization"}, detail.GroupTypes); diff != "" {
		t.Errorf("group types mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodPut, env.path("/group-types"), map[string]string{"9": "x"}, http.StatusUnprocessableEntity, "validation_failed")
}

// TestHealthAndReadiness: /healthz always answers; /readyz answers 503 until the writer is ready.
func TestHealthAndReadiness(t *testing.T) {
	var ready atomic.Bool
	h := (&Server{Log: zap.NewNop(), Ready: &ready}).Handler()
	get := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	if got := get("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz: %d", got)
	}
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz before ready: %d", got)
	}
	ready.Store(true)
	if got := get("/readyz"); got != http.StatusOK {
		t.Errorf("/readyz when ready: %d", got)
	}
}
