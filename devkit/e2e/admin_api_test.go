package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestAdminAPI drives every admin endpoint and error status against one cluster (a real writer, PostgreSQL
// and NATS, one evaluator), checking that each committed change reaches the evaluator.
func TestAdminAPI(t *testing.T) {
	c := startCluster(t, 1)
	cl := admin.New(c.Writer.URL(), c.Opts.AdminToken)
	t.Run("Flags", func(t *testing.T) { adminFlags(t, c, cl) })
	t.Run("Dependencies", func(t *testing.T) { adminDependencies(t, c, cl) })
	t.Run("Tokens", func(t *testing.T) { adminTokens(t, c, cl) })
	t.Run("ProjectsAndKeys", func(t *testing.T) { adminProjectsAndKeys(t, c, cl) })
	t.Run("Cohorts", func(t *testing.T) { adminCohorts(t, c, cl) })
	t.Run("Bulk", func(t *testing.T) { adminBulk(t, c, cl) })
	t.Run("BulkRoundTrip", func(t *testing.T) { adminBulkRoundTrip(t, c, cl) })
	t.Run("Audit", func(t *testing.T) { adminAudit(t, c, cl) })
	t.Run("Concurrency", func(t *testing.T) { adminConcurrency(t, c, cl) })
	t.Run("OpenAPI", func(t *testing.T) { adminOpenAPI(t, c) })
}

type flagAnswer struct {
	ID                 int64          `json:"id"`
	Key                string         `json:"key"`
	Name               string         `json:"name"`
	Active             bool           `json:"active"`
	Version            int64          `json:"version"`
	Tags               []string       `json:"tags"`
	Filters            map[string]any `json:"filters"`
	CreatedBy          string         `json:"created_by"`
	UpdatedBy          string         `json:"updated_by"`
	EnvironmentVersion int64          `json:"environment_version"`
}

type flagPage struct {
	Flags      []flagAnswer `json:"flags"`
	NextCursor *string      `json:"next_cursor"`
}

type problemsAnswer struct {
	Code    string `json:"code"`
	Details []struct {
		Flag    string `json:"flag"`
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"details"`
}

func newEnv(t *testing.T, cl *admin.Client, name string) admin.Environment {
	t.Helper()
	env, err := cl.CreateProjectAndEnvironment(t.Context(), name, "production")
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func adminFlags(t *testing.T, c *cluster.Cluster, cl *admin.Client) {
	env := newEnv(t, cl, "flags")
	flags := envPath(env.ID, "/flags")

	alpha := flagRule("alpha", "email", "ada@example.com")
	alpha["tags"] = []string{"checkout"}
	r := call(t, cl, http.MethodPost, flags, alpha, http.StatusCreated)
	if r.Header.Get("ETag") != `"1"` || r.Header.Get("Halyard-Environment-Version") != "2" {
		t.Fatalf("create: ETag %q, version %q", r.Header.Get("ETag"), r.Header.Get("Halyard-Environment-Version"))
	}
	created := decode[flagAnswer](t, r)
	if created.CreatedBy != "bootstrap" || !slices.Equal(created.Tags, []string{"checkout"}) || !created.Active {
		t.Fatalf("created flag: %+v", created)
	}
	waitFlag(t, c, env.SDKKey, "u1", map[string]any{"email": "ada@example.com"}, func(r *admin.FlagsResponse) error {
		if !r.Flags["alpha"].Enabled {
			return fmt.Errorf("alpha not enabled yet: %+v", r.Flags)
		}
		return nil
	})

	call(t, cl, http.MethodGet, flags+"/alpha", nil, http.StatusOK)
	wantError(t, cl, http.MethodGet, flags+"/nope", nil, http.StatusNotFound, "flag_not_found")
	wantError(t, cl, http.MethodPost, flags, alpha, http.StatusConflict, "flag_exists")
	wantError(t, cl, http.MethodPost, flags, map[string]any{"key": "x", "colour": "red"}, http.StatusBadRequest, "unknown_field")
	wantError(t, cl, http.MethodPost, flags, admin.Raw{ContentType: "application/json", Data: []byte(`{"key": `)}, http.StatusBadRequest, "invalid_json")
	wantError(t, cl, http.MethodPost, flags, map[string]any{"key": "has space"}, http.StatusUnprocessableEntity, "validation_failed")
	big := map[string]any{"key": "big", "description": strings.Repeat("x", 1<<20)}
	wantError(t, cl, http.MethodPost, flags, big, http.StatusRequestEntityTooLarge, "body_too_large")
	wantError(t, cl, http.MethodGet, "/api/v1/environments/999999/flags", nil, http.StatusNotFound, "environment_not_found")
	wantError(t, cl, http.MethodGet, "/api/v1/environments/abc/flags", nil, http.StatusBadRequest, "invalid_env_id")
	wantError(t, cl, http.MethodPost, "/api/v1/environments/999999/flags", flagRule("z", "a", "b"), http.StatusNotFound, "environment_not_found")

	// Every problem at once, each with its path.
	bad := map[string]any{"key": "bad", "filters": map[string]any{"groups": []any{
		map[string]any{"properties": []any{map[string]any{"key": "a", "type": "person", "operator": "nearly", "value": 1}}, "rollout_percentage": 150},
	}}}
	p := decode[problemsAnswer](t, wantError(t, cl, http.MethodPost, flags, bad, http.StatusUnprocessableEntity, "validation_failed"))
	paths := map[string]bool{}
	for _, d := range p.Details {
		paths[d.Path] = true
	}
	if !paths["filters.groups[0].rollout_percentage"] || !paths["filters.groups[0].properties[0].operator"] {
		t.Fatalf("validation details = %+v", p.Details)
	}

	// Pagination, search, filters.
	for i := range 5 {
		f := flagRule(fmt.Sprintf("page-%d", i), "email", "x@example.com")
		f["name"] = fmt.Sprintf("Paged flag %d", i)
		f["active"] = i%2 == 0
		call(t, cl, http.MethodPost, flags, f, http.StatusCreated)
	}
	var keys []string
	next := flags + "?limit=2"
	for pages := 0; next != ""; pages++ {
		page := decode[flagPage](t, call(t, cl, http.MethodGet, next, nil, http.StatusOK))
		if len(page.Flags) > 2 || pages > 5 {
			t.Fatalf("page %d has %d flags", pages, len(page.Flags))
		}
		for _, f := range page.Flags {
			keys = append(keys, f.Key)
		}
		next = ""
		if page.NextCursor != nil {
			next = flags + "?limit=2&cursor=" + *page.NextCursor
		}
	}
	if want := []string{"alpha", "page-0", "page-1", "page-2", "page-3", "page-4"}; !slices.Equal(keys, want) {
		t.Fatalf("paged keys = %v, want %v", keys, want)
	}
	if got := decode[flagPage](t, call(t, cl, http.MethodGet, flags+"?search=PAGED+FLAG&active=false", nil, http.StatusOK)); len(got.Flags) != 2 {
		t.Fatalf("search+active=false found %d flags, want 2", len(got.Flags))
	}
	if got := decode[flagPage](t, call(t, cl, http.MethodGet, flags+"?tag=checkout", nil, http.StatusOK)); len(got.Flags) != 1 {
		t.Fatalf("tag filter found %d flags, want 1", len(got.Flags))
	}
	wantError(t, cl, http.MethodGet, flags+"?limit=0", nil, http.StatusBadRequest, "invalid_parameter")
	wantError(t, cl, http.MethodGet, flags+"?cursor=@@@", nil, http.StatusBadRequest, "invalid_parameter")
	wantError(t, cl, http.MethodGet, flags+"?active=maybe", nil, http.StatusBadRequest, "invalid_parameter")

	// Full replace, merge patch, If-Match.
	replace := flagRule("alpha", "email", "bob@example.com")
	wantError(t, cl, http.MethodPut, flags+"/alpha", replace, http.StatusPreconditionFailed, "version_mismatch", map[string]string{"If-Match": `"7"`})
	r = call(t, cl, http.MethodPut, flags+"/alpha", replace, http.StatusOK, map[string]string{"If-Match": `"1"`})
	if got := decode[flagAnswer](t, r); got.Version != 2 || len(got.Tags) != 0 || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("after PUT: %+v, ETag %s", got, r.Header.Get("ETag"))
	}
	wantError(t, cl, http.MethodPut, flags+"/alpha", flagRule("beta", "a", "b"), http.StatusUnprocessableEntity, "validation_failed")
	wantError(t, cl, http.MethodPut, flags+"/missing", flagRule("missing", "a", "b"), http.StatusNotFound, "flag_not_found")
	r = call(t, cl, http.MethodPatch, flags+"/alpha", map[string]any{"name": "Alpha", "tags": []string{"a", "b"}}, http.StatusOK, map[string]string{"If-Match": `"2"`})
	if got := decode[flagAnswer](t, r); got.Name != "Alpha" || got.Version != 3 || got.Filters["groups"] == nil {
		t.Fatalf("after PATCH: %+v", got)
	}
	wantError(t, cl, http.MethodPatch, flags+"/alpha", map[string]any{"name": "x"}, http.StatusPreconditionFailed, "version_mismatch", map[string]string{"If-Match": `"2"`})
	wantError(t, cl, http.MethodPatch, flags+"/alpha", map[string]any{"colour": "red"}, http.StatusBadRequest, "unknown_field")
	wantError(t, cl, http.MethodPatch, flags+"/alpha", map[string]any{"name": "a\x00b"}, http.StatusBadRequest, "nul_character")
	wantError(t, cl, http.MethodPatch, flags+"/alpha", map[string]any{"key": "renamed"}, http.StatusUnprocessableEntity, "validation_failed")
	waitFlag(t, c, env.SDKKey, "u2", map[string]any{"email": "bob@example.com"}, func(r *admin.FlagsResponse) error {
		if f := r.Flags["alpha"]; !f.Enabled || f.Metadata.Version != 3 {
			return fmt.Errorf("alpha after replace = %+v", f)
		}
		return nil
	})

	// Toggle: flip, then set.
	if got := decode[flagAnswer](t, call(t, cl, http.MethodPost, flags+"/alpha/toggle", nil, http.StatusOK)); got.Active {
		t.Fatalf("toggle did not deactivate: %+v", got)
	}
	waitFlag(t, c, env.SDKKey, "u2", map[string]any{"email": "bob@example.com"}, func(r *admin.FlagsResponse) error {
		if f, ok := r.Flags["alpha"]; ok { // evaluators leave inactive flags out, as PostHog does
			return fmt.Errorf("alpha still served after toggling it off: %+v", f)
		}
		return nil
	})
	if got := decode[flagAnswer](t, call(t, cl, http.MethodPost, flags+"/alpha/toggle", map[string]any{"active": true}, http.StatusOK)); !got.Active {
		t.Fatalf("toggle with active=true: %+v", got)
	}
	wantError(t, cl, http.MethodPost, flags+"/alpha/toggle", map[string]any{"on": true}, http.StatusBadRequest, "unknown_field")

	// Soft delete and restore.
	wantError(t, cl, http.MethodDelete, flags+"/alpha", nil, http.StatusPreconditionFailed, "version_mismatch", map[string]string{"If-Match": `"1"`})
	call(t, cl, http.MethodDelete, flags+"/alpha", nil, http.StatusNoContent)
	wantError(t, cl, http.MethodGet, flags+"/alpha", nil, http.StatusNotFound, "flag_not_found")
	waitFlag(t, c, env.SDKKey, "u2", nil, func(r *admin.FlagsResponse) error {
		if _, ok := r.Flags["alpha"]; ok {
			return fmt.Errorf("deleted alpha still served")
		}
		return nil
	})
	if got := decode[flagPage](t, call(t, cl, http.MethodGet, flags+"?deleted=true", nil, http.StatusOK)); len(got.Flags) != 1 || got.Flags[0].Key != "alpha" {
		t.Fatalf("deleted flags = %+v", got.Flags)
	}
	if got := decode[flagAnswer](t, call(t, cl, http.MethodPost, flags+"/alpha/restore", nil, http.StatusOK)); got.Version != 7 {
		t.Fatalf("restored: %+v", got)
	}
	wantError(t, cl, http.MethodPost, flags+"/alpha/restore", nil, http.StatusNotFound, "flag_not_found")
	// A deleted key can be created again; restoring the old one then conflicts.
	call(t, cl, http.MethodDelete, flags+"/page-0", nil, http.StatusNoContent)
	call(t, cl, http.MethodPost, flags, flagRule("page-0", "a", "b"), http.StatusCreated)
	wantError(t, cl, http.MethodPost, flags+"/page-0/restore", nil, http.StatusConflict, "flag_exists")
	waitFlag(t, c, env.SDKKey, "u2", map[string]any{"email": "bob@example.com"}, func(r *admin.FlagsResponse) error {
		if f := r.Flags["alpha"]; !f.Enabled || f.Metadata.Version != 7 {
			return fmt.Errorf("restored alpha = %+v", f)
		}
		return nil
	})
}

// dependsOn is a flag enabled when flag id evaluates to true.
func dependsOn(key string, id int64) map[string]any {
	return map[string]any{"key": key, "filters": map[string]any{"groups": []any{map[string]any{
		"properties":         []any{map[string]any{"key": strconv.FormatInt(id, 10), "type": "flag", "operator": "flag_evaluates_to", "value": true}},
		"rollout_percentage": 100,
	}}}}
}

func adminDependencies(t *testing.T, c *cluster.Cluster, cl *admin.Client) {
	env := newEnv(t, cl, "deps")
	flags := envPath(env.ID, "/flags")
	base := decode[flagAnswer](t, call(t, cl, http.MethodPost, flags, map[string]any{"key": "base",
		"filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": 100}}}}, http.StatusCreated))

	p := decode[problemsAnswer](t, wantError(t, cl, http.MethodPost, flags, dependsOn("child", 999999), http.StatusUnprocessableEntity, "validation_failed"))
	if len(p.Details) != 1 || p.Details[0].Flag != "child" || !strings.Contains(p.Details[0].Message, "does not exist") {
		t.Fatalf("missing dependency: %+v", p.Details)
	}
	child := decode[flagAnswer](t, call(t, cl, http.MethodPost, flags, dependsOn("child", base.ID), http.StatusCreated))
	cycle := dependsOn("base", child.ID)
	delete(cycle, "key")
	p = decode[problemsAnswer](t, wantError(t, cl, http.MethodPatch, flags+"/base", cycle, http.StatusUnprocessableEntity, "validation_failed"))
	if !strings.Contains(p.Details[0].Message, "cycle") {
		t.Fatalf("cycle: %+v", p.Details)
	}
	// base cannot go while child depends on it.
	r := wantError(t, cl, http.MethodDelete, flags+"/base", nil, http.StatusConflict, "flag_in_use")
	if inUse := decode[struct{ Details struct{ Flags []string } }](t, r); !slices.Equal(inUse.Details.Flags, []string{"child"}) {
		t.Fatalf("flag_in_use details = %s", r.Body)
	}
	waitFlag(t, c, env.SDKKey, "u", nil, func(r *admin.FlagsResponse) error {
		if !r.Flags["child"].Enabled {
			return fmt.Errorf("child = %+v", r.Flags["child"])
		}
		return nil
	})
	call(t, cl, http.MethodDelete, flags+"/child", nil, http.StatusNoContent)
	call(t, cl, http.MethodDelete, flags+"/base", nil, http.StatusNoContent)
	// child cannot come back without base.
	wantError(t, cl, http.MethodPost, flags+"/child/restore", nil, http.StatusUnprocessableEntity, "validation_failed")
}

func adminOpenAPI(t *testing.T, c *cluster.Cluster) {
	anon := admin.New(c.Writer.URL(), "")
	r := call(t, anon, http.MethodGet, "/api/v1/openapi.json", nil, http.StatusOK)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || doc.OpenAPI != "3.0.3" || doc.Paths["/environments/{env_id}/flags/{key}"]["patch"] == nil {
		t.Fatalf("openapi.json: %v, %s", err, doc.OpenAPI)
	}
}
