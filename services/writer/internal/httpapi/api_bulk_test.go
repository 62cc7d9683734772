package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/admin"
)

// TestExportImportCopy: an environment's export imports into another in one version, with references
// mapped to the target's ids; importing it again changes nothing; a PostHog payload imports with a
// placeholder for the static cohort it leaves out; chosen flags copy across environments.
func TestExportImportCopy(t *testing.T) {
	a := newAPI(t)
	src, dst := a.environment("source"), a.environment("target")
	var beta cohortAnswer
	a.ok(http.MethodPost, src.path("/cohorts"), map[string]any{"name": "beta", "is_static": true, "members": []string{"u1"}}, http.StatusCreated, &beta)
	var base flagAnswer
	a.ok(http.MethodPost, src.path("/flags"), rollout("base", 100), http.StatusCreated, &base)
	a.ok(http.MethodPost, src.path("/flags"), dependsOn("child", base.ID), http.StatusCreated, nil)
	a.ok(http.MethodPost, src.path("/flags"), inCohort("for-beta", beta.Cohort.ID), http.StatusCreated, nil)
	a.ok(http.MethodPut, src.path("/group-types"), map[string]string{"0": "company"}, http.StatusOK, nil)

	var doc admin.Export
	rec := a.ok(http.MethodGet, src.path("/export"), nil, http.StatusOK, &doc)
	if doc.Format != admin.ExportFormat || len(doc.Flags) != 3 || len(doc.Cohorts) != 1 || rec.Header().Get(HeaderEnvironmentVersion) == "" {
		t.Fatalf("export %+v", doc)
	}
	a.fails(http.MethodGet, "/environments/999/export", nil, http.StatusNotFound, "environment_not_found")

	var res admin.ImportResult
	a.ok(http.MethodPost, dst.path("/import"), doc, http.StatusOK, &res)
	if res.FlagsCreated != 3 || res.CohortsCreated != 1 || res.EnvironmentVersion != dst.Version+1 {
		t.Fatalf("import %+v", res)
	}
	var child flagAnswer
	a.ok(http.MethodGet, dst.path("/flags/child"), nil, http.StatusOK, &child)
	var dstBase flagAnswer
	a.ok(http.MethodGet, dst.path("/flags/base"), nil, http.StatusOK, &dstBase)
	if got := child.Filters.Groups[0].Properties[0].Key; got != idText(dstBase.ID) {
		t.Errorf("the imported dependency names flag %s, want the target's base %d", got, dstBase.ID)
	}
	again := admin.ImportResult{}
	a.ok(http.MethodPost, dst.path("/import"), doc, http.StatusOK, &again)
	if again.EnvironmentVersion != res.EnvironmentVersion || again.FlagsUpdated != 0 {
		t.Errorf("importing the same document again: %+v, want no new version after %d", again, res.EnvironmentVersion)
	}
	a.ok(http.MethodPost, dst.path("/import"), map[string]any{"format": admin.ExportFormat, "group_types": map[string]string{},
		"cohorts": []any{}, "flags": []any{}}, http.StatusOK, &again)
	if again.EnvironmentVersion != res.EnvironmentVersion {
		t.Errorf("an empty import moved the version to %d", again.EnvironmentVersion)
	}

	var copied admin.ImportResult
	third := a.environment("third")
	a.ok(http.MethodPost, third.path("/cohorts"), map[string]any{"name": "beta", "is_static": true}, http.StatusCreated, nil)
	a.ok(http.MethodPost, src.path("/copy-flags"), map[string]any{"target_environment_id": third.ID, "keys": []string{"base", "child", "for-beta"}},
		http.StatusOK, &copied)
	if copied.FlagsCreated != 3 {
		t.Errorf("copy %+v", copied)
	}
	e := a.fails(http.MethodPost, src.path("/copy-flags"), map[string]any{"target_environment_id": third.ID, "keys": []string{"base", "nope"}},
		http.StatusUnprocessableEntity, "validation_failed")
	if diff := cmp.Diff([]string{"keys[1]"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodPost, src.path("/copy-flags"), map[string]any{"target_environment_id": src.ID, "keys": []string{"base"}},
		http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPost, src.path("/copy-flags"), map[string]any{"target_environment_id": 999, "keys": []string{"base"}},
		http.StatusNotFound, "environment_not_found")
	// A target without a cohort named beta: the copied reference names nothing there.
	fourth := a.environment("fourth")
	a.fails(http.MethodPost, src.path("/copy-flags"), map[string]any{"target_environment_id": fourth.ID, "keys": []string{"for-beta"}},
		http.StatusUnprocessableEntity, "validation_failed")
}

// TestImportPostHog: a PostHog local-evaluation payload imports, dependencies by key resolved and a
// placeholder created for the static cohort it references but leaves out; bodies of no known kind, an
// unknown format, invalid definitions and dangling dependencies are refused.
func TestImportPostHog(t *testing.T) {
	a := newAPI(t)
	env := a.environment("posthog")
	imp := env.path("/import")
	payload := raw{"application/json", `{"group_type_mapping": {"0": "company"}, "flags": [
	  {"id": 11, "key": "base", "active": true, "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}},
	  {"id": 12, "key": "child", "active": true, "filters": {"groups": [{"properties": [
	    {"key": "base", "type": "flag", "operator": "flag_evaluates_to", "value": true, "dependency_chain": ["base"]}]}]}},
	  {"id": 13, "key": "static", "active": true, "filters": {"groups": [{"properties": [{"key": "id", "type": "cohort", "value": 70}]}]}}
	], "cohorts": {"8": {"type": "OR", "values": [{"type": "AND", "values": [
	  {"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"}]}]}}}`}
	var res admin.ImportResult
	a.ok(http.MethodPost, imp, payload, http.StatusOK, &res)
	if res.FlagsCreated != 3 || res.CohortsCreated != 2 || len(res.Warnings) != 1 || res.Warnings[0].Name != "posthog-cohort-70" {
		t.Fatalf("import %+v", res)
	}
	a.ok(http.MethodPost, imp, payload, http.StatusOK, &res)
	if len(res.Warnings) != 1 || res.FlagsCreated != 0 {
		t.Errorf("second import %+v, want the placeholder mapped to the existing cohort", res)
	}

	a.fails(http.MethodPost, imp, map[string]any{}, http.StatusBadRequest, "unrecognized_import")
	a.fails(http.MethodPost, imp, map[string]any{"format": "v9"}, http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPost, imp, map[string]any{"format": 1}, http.StatusBadRequest, "invalid_json")
	a.fails(http.MethodPost, imp, map[string]any{"format": admin.ExportFormat, "extra": 1}, http.StatusBadRequest, "unknown_field")
	a.fails(http.MethodPost, imp, map[string]any{"flags": "x"}, http.StatusBadRequest, "invalid_json")
	a.fails(http.MethodPost, imp, raw{"application/json", `[1]`}, http.StatusBadRequest, "invalid_json")
	e := a.fails(http.MethodPost, imp, raw{"application/json", `{"flags": [{"id": 1, "key": "bad key", "filters": {"groups": []}},
	  {"id": 2, "key": "orphan", "filters": {"groups": [{"properties": [{"key": "gone", "type": "flag", "value": true}]}]}}]}`},
		http.StatusUnprocessableEntity, "validation_failed")
	if diff := cmp.Diff([]string{"flags[1].filters.groups[0].properties[0].key"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	e = a.fails(http.MethodPost, imp, map[string]any{"flags": []any{map[string]any{"id": 1, "key": "bad key"}}, "group_type_mapping": map[string]string{"7": "x"}},
		http.StatusUnprocessableEntity, "validation_failed")
	if diff := cmp.Diff([]string{"group_types", "flags[0].key"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

type auditPage struct {
	Entries    []admin.AuditEntry `json:"entries"`
	NextCursor *string            `json:"next_cursor"`
}

// TestAudit: every change is in the audit log, newest first, filtered by environment, flag, resource,
// actor and time, a page at a time.
func TestAudit(t *testing.T) {
	a := newAPI(t)
	start := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	env := a.environment("audit")
	a.ok(http.MethodPost, env.path("/flags"), rollout("a", 10), http.StatusCreated, nil)
	a.ok(http.MethodPatch, env.path("/flags/a"), map[string]any{"name": "A"}, http.StatusOK, nil)
	a.ok(http.MethodPost, env.path("/flags"), rollout("b", 10), http.StatusCreated, nil)
	actions := func(query string) []string {
		var page auditPage
		a.ok(http.MethodGet, "/audit"+query, nil, http.StatusOK, &page)
		out := []string{}
		for _, e := range page.Entries {
			out = append(out, e.Action+" "+e.Resource)
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"?flag=a", []string{"flag.update flag/a", "flag.create flag/a"}},
		{"?environment_id=" + idText(env.ID) + "&resource=flag/b", []string{"flag.create flag/b"}},
		{"?actor=bootstrap&resource=environment/prod", []string{"environment.create environment/prod"}},
		{"?actor=nobody", []string{}},
		{"?actor_token_id=7", []string{}},
		{"?since=" + start + "&until=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), []string{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, actions(tt.query)); diff != "" {
			t.Errorf("%q mismatch (-want +got):\n%s", tt.query, diff)
		}
	}
	var all []string
	for q := "?limit=2&since=" + start; ; {
		var page auditPage
		a.ok(http.MethodGet, "/audit"+q, nil, http.StatusOK, &page)
		for _, e := range page.Entries {
			all = append(all, e.Action)
		}
		if page.NextCursor == nil {
			break
		}
		q = "?limit=2&cursor=" + *page.NextCursor
	}
	if diff := cmp.Diff([]string{"flag.create", "flag.update", "flag.create", "environment.create", "project.create"}, all); diff != "" {
		t.Errorf("pages mismatch (-want +got):\n%s", diff)
	}
	for _, q := range []string{"?environment_id=x", "?actor_token_id=x", "?since=yesterday", "?until=1", "?limit=5000", "?cursor=!!"} {
		a.fails(http.MethodGet, "/audit"+q, nil, http.StatusBadRequest, "invalid_parameter")
	}
}
