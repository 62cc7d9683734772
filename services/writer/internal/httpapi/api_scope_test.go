package httpapi

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFlagEvaluationScope: evaluation_runtime and evaluation_contexts are stored, answered, replaced,
// patched (the group-committed path) and removed through the admin API, and validated.
func TestFlagEvaluationScope(t *testing.T) {
	a := newAPI(t)
	env := a.environment("scope")
	flags := env.path("/flags")
	type scope struct {
		Runtime  string
		Contexts []string
	}
	scopeOf := func(f flagAnswer) scope { return scope{f.EvaluationRuntime, f.EvaluationContexts} }
	var f flagAnswer
	body := rollout("web-only", 100)
	body["evaluation_runtime"], body["evaluation_contexts"] = "client", []string{"web", "docs"}
	a.ok(http.MethodPost, flags, body, http.StatusCreated, &f)
	one := flags + "/web-only"
	for _, step := range []struct {
		name   string
		method string
		body   any
		want   scope
	}{
		{"created", http.MethodGet, nil, scope{"client", []string{"web", "docs"}}},
		{"patched", http.MethodPatch, map[string]any{"evaluation_runtime": "server", "evaluation_contexts": []string{"api"}}, scope{"server", []string{"api"}}},
		{"patched away", http.MethodPatch, map[string]any{"evaluation_runtime": nil, "evaluation_contexts": nil}, scope{}},
		{"replaced", http.MethodPut, map[string]any{"evaluation_runtime": "all", "evaluation_contexts": []string{"mobile"},
			"filters": map[string]any{"groups": []any{}}}, scope{"all", []string{"mobile"}}},
	} {
		f = flagAnswer{} // an absent field leaves a decoded value alone
		a.ok(step.method, one, step.body, http.StatusOK, &f)
		if d := cmp.Diff(step.want, scopeOf(f)); d != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", step.name, d)
		}
		f = flagAnswer{}
		a.ok(http.MethodGet, one, nil, http.StatusOK, &f)
		if d := cmp.Diff(step.want, scopeOf(f)); d != "" {
			t.Errorf("%s, read back: mismatch (-want +got):\n%s", step.name, d)
		}
	}
	bad := rollout("bad", 100)
	bad["evaluation_runtime"], bad["evaluation_contexts"] = "edge", []string{"web", "web"}
	e := a.fails(http.MethodPost, flags, bad, http.StatusUnprocessableEntity, "validation_failed")
	if d := cmp.Diff([]string{"evaluation_runtime", "evaluation_contexts[1]"}, e.problemPaths(t)); d != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", d)
	}
}
