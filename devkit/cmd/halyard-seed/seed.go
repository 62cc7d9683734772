package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
)

// result is the environment the seed leaves behind.
type result struct {
	ProjectID, EnvironmentID int64
	SDKKey                   string
	Created                  bool // the project or the environment did not exist before
}

type named struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ensure finds the project and environment with these names, creating whichever is missing, and returns
// the environment's current SDK key. Project names are not unique: the oldest project of that name is used.
func ensure(ctx context.Context, cl *admin.Client, project, env string) (result, error) {
	var res result
	var projects struct{ Projects []named }
	if _, err := cl.Do(ctx, http.MethodGet, "/api/v1/projects", nil, &projects); err != nil {
		return res, fmt.Errorf("list projects: %w", err)
	}
	var p named
	if p = first(projects.Projects, project); p.ID == 0 {
		if _, err := cl.Do(ctx, http.MethodPost, "/api/v1/projects", map[string]string{"name": project}, &p); err != nil {
			return res, fmt.Errorf("create project %q: %w", project, err)
		}
		res.Created = true
	}
	res.ProjectID = p.ID

	envsPath := fmt.Sprintf("/api/v1/projects/%d/environments", p.ID)
	var envs struct{ Environments []named }
	if _, err := cl.Do(ctx, http.MethodGet, envsPath, nil, &envs); err != nil {
		return res, fmt.Errorf("list environments of project %d: %w", p.ID, err)
	}
	if e := first(envs.Environments, env); e.ID != 0 {
		key, err := sdkKey(ctx, cl, e.ID)
		res.EnvironmentID, res.SDKKey = e.ID, key
		return res, err
	}
	var created admin.Environment
	if _, err := cl.Do(ctx, http.MethodPost, envsPath, map[string]string{"name": env}, &created); err != nil {
		return res, fmt.Errorf("create environment %q: %w", env, err)
	}
	res.EnvironmentID, res.SDKKey, res.Created = created.ID, created.SDKKey, true
	return res, nil
}

// first is the element named name with the lowest id (zero when none).
func first(items []named, name string) named {
	var out named
	for _, it := range items {
		if it.Name == name && (out.ID == 0 || it.ID < out.ID) {
			out = it
		}
	}
	return out
}

// sdkKey returns the environment's SDK key that does not expire (keys being rotated out carry an expiry).
func sdkKey(ctx context.Context, cl *admin.Client, envID int64) (string, error) {
	var detail struct {
		Keys []struct {
			Kind      string     `json:"kind"`
			Value     string     `json:"value"`
			ExpiresAt *time.Time `json:"expires_at"`
		} `json:"keys"`
	}
	if _, err := cl.Do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/environments/%d", envID), nil, &detail); err != nil {
		return "", fmt.Errorf("get environment %d: %w", envID, err)
	}
	for _, k := range detail.Keys {
		if k.Kind == "sdk" && k.ExpiresAt == nil && k.Value != "" {
			return k.Value, nil
		}
	}
	return "", fmt.Errorf("environment %d has no current SDK key", envID)
}
