package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// evaluationAnswer is POST /evaluate's answer, each flag's reason kept as JSON to see its nulls.
type evaluationAnswer struct {
	EnvironmentVersion int64 `json:"environment_version"`
	Flags              map[string]struct {
		Enabled bool            `json:"enabled"`
		Variant *string         `json:"variant"`
		Payload json.RawMessage `json:"payload"`
		Reason  json.RawMessage `json:"reason"`
	} `json:"flags"`
}

// enabled lists each flag's answer in short: "true", "false" or the variant.
func (e evaluationAnswer) enabled() map[string]string {
	out := map[string]string{}
	for k, f := range e.Flags {
		switch {
		case f.Variant != nil:
			out[k] = *f.Variant
		case f.Enabled:
			out[k] = "true"
		default:
			out[k] = "false"
		}
	}
	return out
}

// evaluate posts body to the environment's evaluate route and returns the answer.
func (a *api) evaluate(env environmentAnswer, body any) (evaluationAnswer, *httptest.ResponseRecorder) {
	a.tb.Helper()
	var got evaluationAnswer
	rec := a.ok(http.MethodPost, env.path("/evaluate"), body, http.StatusOK, &got)
	return got, rec
}

// evaluationFixture is an environment with a company group type, a static cohort and four flags.
func evaluationFixture(a *api) environmentAnswer {
	a.tb.Helper()
	env := a.environment("evaluate")
	a.ok(http.MethodPut, env.path("/group-types"), map[string]string{"0": "company"}, http.StatusOK, nil)
	var beta cohortAnswer
	a.ok(http.MethodPost, env.path("/cohorts"), map[string]any{"name": "beta", "is_static": true, "members": []string{"u-cohort"}}, http.StatusCreated, &beta)
	for _, f := range []map[string]any{
		{"key": "pro", "filters": map[string]any{"groups": []any{map[string]any{"rollout_percentage": 100, "properties": []any{
			map[string]any{"key": "plan", "type": "person", "operator": "exact", "value": []string{"pro"}},
			map[string]any{"key": "seats", "type": "person", "operator": "gt", "value": 10}}}},
			"payloads": map[string]any{"true": map[string]any{"banner": "pro"}}}},
		{"key": "checkout", "filters": map[string]any{"groups": []any{map[string]any{"rollout_percentage": 100, "properties": []any{}}},
			"multivariate": map[string]any{"variants": []any{map[string]any{"key": "control", "rollout_percentage": 0},
				map[string]any{"key": "test", "rollout_percentage": 100}}}}},
		inCohort("cohort-only", beta.Cohort.ID),
		{"key": "acme", "filters": map[string]any{"aggregation_group_type_index": 0, "groups": []any{map[string]any{"rollout_percentage": 100,
			"properties": []any{map[string]any{"key": "tier", "type": "group", "group_type_index": 0, "operator": "exact", "value": []string{"gold"}}}}}}},
	} {
		a.ok(http.MethodPost, env.path("/flags"), f, http.StatusCreated, nil)
	}
	return env
}

// TestEvaluate: a read token evaluates every flag, or the ones asked for, for a person, their groups and
// their cohorts, with the stored definitions; the answer names the version it read.
func TestEvaluate(t *testing.T) {
	a := newAPI(t)
	env := evaluationFixture(a)
	var reader tokenAnswer
	a.ok(http.MethodPost, "/tokens", map[string]any{"name": "reader", "scopes": []string{"read"}}, http.StatusCreated, &reader)
	r := a.as(reader.Token)

	got, rec := r.evaluate(env, map[string]any{"distinct_id": "u-cohort",
		"person_properties": map[string]any{"plan": "pro", "seats": 12}, "groups": map[string]string{"company": "acme"},
		"group_properties": map[string]any{"company": map[string]any{"tier": "gold"}}})
	want := map[string]string{"pro": "true", "checkout": "test", "cohort-only": "true", "acme": "true"}
	if diff := cmp.Diff(want, got.enabled()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got.EnvironmentVersion != 7 || rec.Header().Get(HeaderEnvironmentVersion) != "7" {
		t.Errorf("environment version %d (header %q), want 7", got.EnvironmentVersion, rec.Header().Get(HeaderEnvironmentVersion))
	}
	if diff := cmp.Diff(`{"banner":"pro"}`, string(got.Flags["pro"].Payload)); diff != "" {
		t.Errorf("payload mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(`{"code":"condition_match","condition_index":0,"description":"Matched condition set 1"}`, string(got.Flags["pro"].Reason)); diff != "" {
		t.Errorf("reason mismatch (-want +got):\n%s", diff)
	}

	got, _ = r.evaluate(env, map[string]any{"distinct_id": "someone", "person_properties": map[string]any{"plan": "pro", "seats": 10},
		"flag_keys": []string{"pro", "acme"}})
	if diff := cmp.Diff(map[string]string{"pro": "false", "acme": "false"}, got.enabled()); diff != "" {
		t.Errorf("chosen flags mismatch (-want +got):\n%s", diff)
	}
	if string(got.Flags["pro"].Payload) != "null" || got.Flags["pro"].Variant != nil {
		t.Errorf("a disabled flag's payload %s and variant %v, want null and nil", got.Flags["pro"].Payload, got.Flags["pro"].Variant)
	}
	if diff := cmp.Diff(`{"code":"no_group_type","condition_index":0,"description":"No group type"}`, string(got.Flags["acme"].Reason)); diff != "" {
		t.Errorf("reason mismatch (-want +got):\n%s", diff)
	}
}

// TestEvaluateDraft: a draft is evaluated in place of the stored flag, or as a new one, and changes nothing;
// a draft that would not be saved is refused with its problems under draft.
func TestEvaluateDraft(t *testing.T) {
	a := newAPI(t)
	env := evaluationFixture(a)
	person := map[string]any{"plan": "free"}
	got, _ := a.evaluate(env, map[string]any{"distinct_id": "u1", "person_properties": person, "flag_keys": []string{"pro"}})
	if diff := cmp.Diff(map[string]string{"pro": "false"}, got.enabled()); diff != "" {
		t.Errorf("stored flag mismatch (-want +got):\n%s", diff)
	}
	everyone := map[string]any{"groups": []any{map[string]any{"rollout_percentage": 100, "properties": []any{}}}}
	got, _ = a.evaluate(env, map[string]any{"distinct_id": "u1", "person_properties": person, "flag_keys": []string{"pro"},
		"draft": map[string]any{"key": "pro", "filters": everyone}})
	if diff := cmp.Diff(map[string]string{"pro": "true"}, got.enabled()); diff != "" {
		t.Errorf("draft mismatch (-want +got):\n%s", diff)
	}
	got, _ = a.evaluate(env, map[string]any{"distinct_id": "u1",
		"draft": map[string]any{"key": "unsaved", "active": false, "filters": everyone}})
	want := map[string]string{"pro": "false", "checkout": "test", "cohort-only": "false", "acme": "false", "unsaved": "false"}
	if diff := cmp.Diff(want, got.enabled()); diff != "" {
		t.Errorf("new draft mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(`{"code":"flag_disabled","condition_index":null,"description":"Feature flag is disabled"}`, string(got.Flags["unsaved"].Reason)); diff != "" {
		t.Errorf("reason mismatch (-want +got):\n%s", diff)
	}

	// Nothing changed: the stored flag, the environment's version, the audit log.
	var stored struct {
		Version            int64 `json:"version"`
		EnvironmentVersion int64 `json:"environment_version"`
	}
	a.ok(http.MethodGet, env.path("/flags/pro"), nil, http.StatusOK, &stored)
	if stored.Version != 1 || stored.EnvironmentVersion != 7 || got.EnvironmentVersion != 7 {
		t.Errorf("after evaluating drafts: flag version %d, environment version %d (evaluated at %d), want 1, 7, 7", stored.Version, stored.EnvironmentVersion, got.EnvironmentVersion)
	}
	a.fails(http.MethodGet, env.path("/flags/unsaved"), nil, http.StatusNotFound, "flag_not_found")
	var page auditPage
	a.ok(http.MethodGet, "/audit?environment_id="+idText(env.ID), nil, http.StatusOK, &page)
	if len(page.Entries) != 7 {
		t.Errorf("%d audit entries, want the fixture's 7", len(page.Entries))
	}
}

// TestEvaluateErrors: what evaluate refuses, and how.
func TestEvaluateErrors(t *testing.T) {
	a := newAPI(t)
	env := evaluationFixture(a)
	tests := []struct {
		name  string
		body  any
		paths []string
	}{
		{"no distinct id", map[string]any{"person_properties": map[string]any{}}, []string{"distinct_id"}},
		{"an unknown flag", map[string]any{"distinct_id": "u1", "flag_keys": []string{"pro", "gone"}}, []string{"flag_keys[1]"}},
		{"an invalid draft", map[string]any{"distinct_id": "u1", "draft": map[string]any{"key": "pro",
			"filters": map[string]any{"groups": []any{map[string]any{"rollout_percentage": 150, "properties": []any{}}}}}},
			[]string{"draft.filters.groups[0].rollout_percentage"}},
		{"a draft without its key", map[string]any{"distinct_id": "u1", "draft": map[string]any{"filters": map[string]any{"groups": []any{}}}},
			[]string{"draft.key"}},
		{"a draft depending on a missing cohort", map[string]any{"distinct_id": "u1", "draft": inCohort("pro", 999)},
			[]string{"draft.filters.groups[0].properties[0].value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := a.fails(http.MethodPost, env.path("/evaluate"), tt.body, http.StatusUnprocessableEntity, "validation_failed")
			if diff := cmp.Diff(tt.paths, e.problemPaths(t)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
	e := a.fails(http.MethodPost, env.path("/evaluate"), map[string]any{"distinct_id": "u1", "draft": map[string]any{"key": "pro",
		"filters": map[string]any{"groups": []any{map[string]any{"rollout_percentage": "all"}}}}}, http.StatusBadRequest, "invalid_json")
	if diff := cmp.Diff([]string{"draft.filters.groups.rollout_percentage"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodPost, env.path("/evaluate"), map[string]any{"distinct_id": "u1", "person": map[string]any{}}, http.StatusBadRequest, "unknown_field")
	a.fails(http.MethodPost, env.path("/evaluate"), map[string]any{"distinct_id": "u1", "groups": map[string]any{"company": 5}}, http.StatusBadRequest, "invalid_json")
	a.fails(http.MethodPost, "/environments/999/evaluate", map[string]any{"distinct_id": "u1"}, http.StatusNotFound, "environment_not_found")
	a.as("").fails(http.MethodPost, env.path("/evaluate"), map[string]any{"distinct_id": "u1"}, http.StatusUnauthorized, "unauthenticated")
}
