package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/admin"
)

type flagAnswer struct {
	admin.FlagRecord
	EnvironmentVersion int64 `json:"environment_version"`
}

type flagPage struct {
	Flags              []admin.FlagRecord `json:"flags"`
	EnvironmentVersion int64              `json:"environment_version"`
	NextCursor         *string            `json:"next_cursor"`
}

func rollout(key string, pct float64) map[string]any {
	return map[string]any{"key": key, "filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": pct}}}}
}

func dependsOn(key string, id int64) map[string]any {
	return map[string]any{"key": key, "filters": map[string]any{"groups": []any{map[string]any{"properties": []any{
		map[string]any{"key": idText(id), "type": "flag", "operator": "flag_evaluates_to", "value": true}}}}}}
}

// TestFlagLifecycle: a flag is created, read, replaced, patched, toggled, deleted and restored, each answer
// carrying the flag's ETag and the environment version; stale If-Match, invalid definitions and key changes
// are refused.
func TestFlagLifecycle(t *testing.T) {
	a := newAPI(t)
	env := a.environment("flags")
	flags := env.path("/flags")
	var f flagAnswer
	rec := a.ok(http.MethodPost, flags, map[string]any{"key": "checkout", "name": "Checkout", "tags": []string{"web"}}, http.StatusCreated, &f)
	if f.Version != 1 || !f.Active || f.CreatedBy != "bootstrap" || rec.Header().Get("ETag") != `"1"` ||
		rec.Header().Get(HeaderEnvironmentVersion) != idText(f.EnvironmentVersion) {
		t.Fatalf("created %+v with headers %v", f, rec.Header())
	}
	a.fails(http.MethodPost, flags, map[string]any{"key": "checkout"}, http.StatusConflict, "flag_exists")
	a.fails(http.MethodPost, "/environments/999/flags", map[string]any{"key": "x"}, http.StatusNotFound, "environment_not_found")
	a.fails(http.MethodPost, flags, map[string]any{"key": "x", "colour": "red"}, http.StatusBadRequest, "unknown_field")
	a.fails(http.MethodPost, flags, raw{"application/json", `{"key": "` + strings.Repeat("x", MaxBodyBytes) + `"}`}, http.StatusRequestEntityTooLarge, "body_too_large")
	e := a.fails(http.MethodPost, flags, map[string]any{"key": "has space", "tags": []string{""},
		"filters": map[string]any{"groups": []any{map[string]any{"rollout_percentage": 150}}}}, http.StatusUnprocessableEntity, "validation_failed")
	if diff := cmp.Diff([]string{"key", "tags[0]", "filters.groups[0].rollout_percentage"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}

	one := flags + "/checkout"
	a.ok(http.MethodGet, one, nil, http.StatusOK, &f)
	a.fails(http.MethodGet, flags+"/nope", nil, http.StatusNotFound, "flag_not_found")
	a.fails(http.MethodGet, "/environments/999/flags/checkout", nil, http.StatusNotFound, "environment_not_found")

	a.ok(http.MethodPut, one, rollout("", 30), http.StatusOK, &f, "If-Match", `"1"`)
	if f.Version != 2 || *f.Filters.Groups[0].RolloutPercentage != 30 || f.Name != "" {
		t.Fatalf("replaced %+v", f)
	}
	a.fails(http.MethodPut, one, rollout("checkout", 40), http.StatusPreconditionFailed, "version_mismatch", "If-Match", `"1"`)
	a.fails(http.MethodPut, one, rollout("renamed", 40), http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPut, flags+"/nope", rollout("nope", 40), http.StatusNotFound, "flag_not_found")

	a.ok(http.MethodPatch, one, map[string]any{"name": "Checkout v2", "tags": []string{"web", "beta"}}, http.StatusOK, &f)
	if f.Name != "Checkout v2" || *f.Filters.Groups[0].RolloutPercentage != 30 || len(f.Tags) != 2 {
		t.Fatalf("patched %+v", f)
	}
	a.fails(http.MethodPatch, one, map[string]any{"key": "other"}, http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPatch, one, map[string]any{"filters": map[string]any{"groups": []any{map[string]any{"rollout_percentage": -1}}}},
		http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPatch, one, raw{"application/json", `[`}, http.StatusBadRequest, "invalid_json")
	a.fails(http.MethodPatch, one, map[string]any{"active": "yes"}, http.StatusBadRequest, "invalid_json")

	a.ok(http.MethodPost, one+"/toggle", nil, http.StatusOK, &f)
	if f.Active {
		t.Fatal("toggle left the flag active")
	}
	a.ok(http.MethodPost, one+"/toggle", map[string]bool{"active": false}, http.StatusOK, &f)
	if f.Active {
		t.Fatal(`toggle {"active": false} activated the flag`)
	}
	a.fails(http.MethodPost, one+"/toggle", map[string]string{"on": "x"}, http.StatusBadRequest, "unknown_field")

	a.fails(http.MethodDelete, one, nil, http.StatusPreconditionFailed, "version_mismatch", "If-Match", `"1"`)
	a.ok(http.MethodDelete, one, nil, http.StatusNoContent, nil, "If-Match", `"`+idText(f.Version)+`"`)
	a.fails(http.MethodDelete, one, nil, http.StatusNotFound, "flag_not_found")
	var page flagPage
	a.ok(http.MethodGet, flags+"?deleted=true", nil, http.StatusOK, &page)
	if len(page.Flags) != 1 || page.Flags[0].DeletedAt == nil {
		t.Fatalf("deleted flags %+v", page.Flags)
	}
	a.ok(http.MethodPost, one+"/restore", nil, http.StatusOK, &f)
	a.fails(http.MethodPost, one+"/restore", nil, http.StatusNotFound, "flag_not_found")
	a.ok(http.MethodDelete, one, nil, http.StatusNoContent, nil)
	a.ok(http.MethodPost, flags, map[string]any{"key": "checkout"}, http.StatusCreated, nil)
	a.fails(http.MethodPost, one+"/restore", nil, http.StatusConflict, "flag_exists")
}

// TestFlagDependencies: a flag may depend only on a flag that exists, never in a cycle, and a flag others
// depend on cannot be deleted.
func TestFlagDependencies(t *testing.T) {
	a := newAPI(t)
	env := a.environment("deps")
	flags := env.path("/flags")
	var base, child flagAnswer
	a.ok(http.MethodPost, flags, rollout("base", 100), http.StatusCreated, &base)
	a.ok(http.MethodPost, flags, dependsOn("child", base.ID), http.StatusCreated, &child)
	e := a.fails(http.MethodPost, flags, dependsOn("orphan", 999999), http.StatusUnprocessableEntity, "validation_failed")
	if diff := cmp.Diff([]string{"filters.groups[0].properties[0].key"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodPut, flags+"/base", dependsOn("base", child.ID), http.StatusUnprocessableEntity, "validation_failed")
	e = a.fails(http.MethodDelete, flags+"/base", nil, http.StatusConflict, "flag_in_use")
	if string(e.Details) != `{"flags":["child"]}` {
		t.Errorf("details %s", e.Details)
	}
	a.ok(http.MethodDelete, flags+"/child", nil, http.StatusNoContent, nil)
	a.ok(http.MethodDelete, flags+"/base", nil, http.StatusNoContent, nil)
	// The child depends on a deleted flag: restoring it alone would add that problem.
	a.fails(http.MethodPost, flags+"/child/restore", nil, http.StatusUnprocessableEntity, "validation_failed")
}

// TestListFlags: search, tag and active filter the list, pages follow next_cursor, bad parameters are 400.
func TestListFlags(t *testing.T) {
	a := newAPI(t)
	env := a.environment("list")
	flags := env.path("/flags")
	for _, k := range []string{"alpha", "beta", "gamma", "delta"} {
		a.ok(http.MethodPost, flags, map[string]any{"key": k, "tags": []string{"t-" + k[:1]}, "active": k != "delta"}, http.StatusCreated, nil)
	}
	keys := func(query string) []string {
		var page flagPage
		a.ok(http.MethodGet, flags+query, nil, http.StatusOK, &page)
		out := []string{}
		for _, f := range page.Flags {
			out = append(out, f.Key)
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"alpha", "beta", "delta", "gamma"}},
		{"?search=ET", []string{"beta"}},
		{"?search=%25", []string{}}, // a literal %, matching nothing
		{"?tag=t-g", []string{"gamma"}},
		{"?active=false", []string{"delta"}},
		{"?deleted=true", []string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, keys(tt.query)); diff != "" {
			t.Errorf("%q mismatch (-want +got):\n%s", tt.query, diff)
		}
	}
	var got []string
	for q := "?limit=3"; ; {
		var page flagPage
		a.ok(http.MethodGet, flags+q, nil, http.StatusOK, &page)
		for _, f := range page.Flags {
			got = append(got, f.Key)
		}
		if page.NextCursor == nil {
			break
		}
		q = "?limit=3&cursor=" + *page.NextCursor
	}
	if diff := cmp.Diff([]string{"alpha", "beta", "delta", "gamma"}, got); diff != "" {
		t.Errorf("pages mismatch (-want +got):\n%s", diff)
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?active=maybe", "?deleted=2", "?cursor=!!"} {
		a.fails(http.MethodGet, flags+q, nil, http.StatusBadRequest, "invalid_parameter")
	}
	a.fails(http.MethodGet, "/environments/999/flags", nil, http.StatusNotFound, "environment_not_found")
}
