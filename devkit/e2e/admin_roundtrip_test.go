package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// roundTripFlags are the source environment's flags: dependencies two deep (the evaluator serves them keyed
// by flag key with a dependency_chain, as PostHog does), a property cohort, and a static cohort (which the
// local-evaluation payload leaves out). ids maps cohort names to their ids in the source.
func roundTripFlags(ids map[string]int64) []map[string]any {
	rule := func(props ...map[string]any) map[string]any {
		return map[string]any{"groups": []any{map[string]any{"properties": props, "rollout_percentage": 100}}}
	}
	person := map[string]any{"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"}
	cohort := func(name string) map[string]any {
		return map[string]any{"key": "id", "type": "cohort", "operator": "in", "value": ids[name]}
	}
	return []map[string]any{
		{"key": "rt-base", "filters": rule(person)},
		{"key": "rt-pro", "filters": rule(cohort("rt-pro-users"))},
		{"key": "rt-vip", "filters": rule(cohort("rt-vip-users"))},
	}
}

// dependsOnID is a flag-dependency property on the flag with that id.
func dependsOnID(id int64, value any) map[string]any {
	return map[string]any{"key": fmt.Sprint(id), "type": "flag", "operator": "flag_evaluates_to", "value": value}
}

// localEvaluation downloads the definitions the evaluator serves SDKs for local evaluation.
func localEvaluation(t *testing.T, c *cluster.Cluster, serverKey string, wantFlags int) []byte {
	t.Helper()
	var body []byte
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, c.Evaluators[0].URL()+"/api/feature_flag/local_evaluation", nil)
		req.Header.Set("Authorization", "Bearer "+serverKey)
		resp, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if body, err = io.ReadAll(resp.Body); err != nil {
			return err
		}
		var doc struct{ Flags []json.RawMessage }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &doc) != nil || len(doc.Flags) != wantFlags {
			return fmt.Errorf("local_evaluation: %d %s", resp.StatusCode, body)
		}
		return nil
	})
	return body
}

type answer struct {
	Enabled bool
	Variant string
}

// answers is every flag's answer for one caller, without ids and versions (which differ between
// environments).
func answers(c *cluster.Cluster, token, distinctID string, props map[string]any) (map[string]answer, error) {
	r, _, err := admin.Flags(context.Background(), httpClient, c.Evaluators[0].URL(), token, distinctID, props)
	if err != nil {
		return nil, err
	}
	out := map[string]answer{}
	for k, f := range r.Flags {
		a := answer{Enabled: f.Enabled}
		if f.Variant != nil {
			a.Variant = *f.Variant
		}
		out[k] = a
	}
	return out, nil
}

// adminBulkRoundTrip: what the evaluator serves at /api/feature_flag/local_evaluation imports into a new
// environment and answers /flags exactly as the source does, static cohort members uploaded to the
// placeholder the import reports.
func adminBulkRoundTrip(t *testing.T, c *cluster.Cluster, cl *admin.Client) {
	src := newEnv(t, cl, "roundtrip-src")
	ids := map[string]int64{}
	for _, ch := range []map[string]any{
		{"name": "rt-vip-users", "is_static": true, "members": []string{"vip-1", "vip-2"}},
		{"name": "rt-pro-users", "filters": map[string]any{"properties": map[string]any{"type": "OR", "values": []any{
			map[string]any{"type": "AND", "values": []any{map[string]any{"key": "plan", "type": "person", "operator": "exact", "value": []any{"pro"}}}}}}}},
	} {
		got := decode[struct{ Cohort struct{ ID int64 } }](t, call(t, cl, http.MethodPost, envPath(src.ID, "/cohorts"), ch, http.StatusCreated))
		ids[ch["name"].(string)] = got.Cohort.ID
	}
	flagIDs := map[string]int64{}
	create := func(f map[string]any) {
		flagIDs[f["key"].(string)] = decode[flagAnswer](t, call(t, cl, http.MethodPost, envPath(src.ID, "/flags"), f, http.StatusCreated)).ID
	}
	for _, f := range roundTripFlags(ids) {
		create(f)
	}
	group := func(props ...map[string]any) map[string]any {
		return map[string]any{"properties": props, "rollout_percentage": 100}
	}
	create(map[string]any{"key": "rt-dep", "filters": map[string]any{"groups": []any{group(dependsOnID(flagIDs["rt-base"], true))}}})
	create(map[string]any{"key": "rt-dep2", "filters": map[string]any{
		"multivariate": map[string]any{"variants": []any{map[string]any{"key": "a", "rollout_percentage": 50}, map[string]any{"key": "b", "rollout_percentage": 50}}},
		"groups":       []any{group(dependsOnID(flagIDs["rt-dep"], true), dependsOnID(flagIDs["rt-pro"], false))}}})
	create(map[string]any{"key": "rt-not-vip", "filters": map[string]any{"groups": []any{group(dependsOnID(flagIDs["rt-vip"], false))}}})
	create(map[string]any{"key": "rt-variant", "filters": map[string]any{"groups": []any{group(dependsOnID(flagIDs["rt-dep2"], "a"))}}})

	payload := localEvaluation(t, c, src.ServerKey, len(flagIDs))
	if !strings.Contains(string(payload), `"dependency_chain"`) || !strings.Contains(string(payload), `"key":"rt-base"`) {
		t.Fatalf("the evaluator did not serve PostHog's dependency form: %s", payload)
	}

	dst := newEnv(t, cl, "roundtrip-dst")
	r := call(t, cl, http.MethodPost, envPath(dst.ID, "/import"), admin.Raw{ContentType: "application/json", Data: payload}, http.StatusOK)
	res := decode[struct {
		importAnswer
		Warnings []struct {
			Code     string   `json:"code"`
			CohortID int64    `json:"cohort_id"`
			Name     string   `json:"name"`
			Flags    []string `json:"flags"`
			Message  string   `json:"message"`
		} `json:"warnings"`
	}](t, r)
	if res.FlagsCreated != len(flagIDs) || res.CohortsCreated != 2 || len(res.Warnings) != 1 {
		t.Fatalf("import = %s", r.Body)
	}
	w := res.Warnings[0]
	if w.Code != "static_cohort_placeholder" || w.Name != fmt.Sprintf("posthog-cohort-%d", ids["rt-vip-users"]) ||
		!cmp.Equal(w.Flags, []string{"rt-vip"}) || w.CohortID == 0 {
		t.Fatalf("warning = %+v", w)
	}
	call(t, cl, http.MethodPut, envPath(dst.ID, fmt.Sprintf("/cohorts/%d/members", w.CohortID)), []string{"vip-1", "vip-2"}, http.StatusOK)

	// Importing the same payload again finds the placeholder by name and keeps its members: nothing changes.
	uploaded := decode[envDetail](t, call(t, cl, http.MethodGet, envPath(dst.ID, ""), nil, http.StatusOK)).Version
	again := decode[importAnswer](t, call(t, cl, http.MethodPost, envPath(dst.ID, "/import"), admin.Raw{ContentType: "application/json", Data: payload}, http.StatusOK))
	if again.EnvironmentVersion != uploaded || again.FlagsUpdated != 0 || again.CohortsCreated != 0 {
		t.Fatalf("second import = %+v (environment at v%d)", again, uploaded)
	}
	members := decode[struct{ Members []string }](t, call(t, cl, http.MethodGet, envPath(dst.ID, fmt.Sprintf("/cohorts/%d/members", w.CohortID)), nil, http.StatusOK))
	if !cmp.Equal(members.Members, []string{"vip-1", "vip-2"}) {
		t.Fatalf("placeholder members after the second import = %v", members.Members)
	}

	callers := []struct {
		id    string
		props map[string]any
	}{
		{"anon", nil},
		{"ada", map[string]any{"email": "ada@example.com"}},
		{"bob", map[string]any{"email": "bob@example.com", "plan": "pro"}},
		{"vip-1", map[string]any{"email": "vip@example.com"}},
		{"vip-2", map[string]any{"plan": "pro"}},
	}
	for i := range 40 {
		callers = append(callers, struct {
			id    string
			props map[string]any
		}{fmt.Sprintf("user-%d", i), map[string]any{"email": fmt.Sprintf("u%d@example.com", i)}})
	}
	compare := func(id string, props map[string]any) error {
		want, err := answers(c, src.SDKKey, id, props)
		if err != nil {
			return err
		}
		if len(want) != len(flagIDs) {
			t.Fatalf("source answered %d flags for %s: %+v", len(want), id, want)
		}
		got, err := answers(c, dst.SDKKey, id, props)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("%s: imported environment answers differently (-source +imported):\n%s", id, diff)
		}
		return nil
	}
	// The evaluator has the last import once vip-1 (a member uploaded before it) gets the source's answer.
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error { return compare(callers[3].id, callers[3].props) })
	for _, caller := range callers {
		if err := compare(caller.id, caller.props); err != nil {
			t.Error(err)
		}
	}
}
