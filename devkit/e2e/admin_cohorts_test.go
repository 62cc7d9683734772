package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

type cohortAnswer struct {
	Cohort struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		IsStatic    bool   `json:"is_static"`
		MemberCount int64  `json:"member_count"`
		Version     int64  `json:"version"`
	} `json:"cohort"`
}

// inCohort is a flag enabled for members of a cohort.
func inCohort(key string, cohortID int64) map[string]any {
	return map[string]any{"key": key, "filters": map[string]any{"groups": []any{map[string]any{
		"properties":         []any{map[string]any{"key": "id", "type": "cohort", "operator": "in", "value": cohortID}},
		"rollout_percentage": 100,
	}}}}
}

func enabledFor(t *testing.T, c *cluster.Cluster, token, flagKey string, want map[string]bool) {
	t.Helper()
	for id, on := range want {
		waitFlag(t, c, token, id, map[string]any{"plan": "pro"}, func(r *admin.FlagsResponse) error {
			if r.Flags[flagKey].Enabled != on {
				return fmt.Errorf("%s for %s = %+v, want enabled %v", flagKey, id, r.Flags[flagKey], on)
			}
			return nil
		})
	}
}

func adminCohorts(t *testing.T, c *cluster.Cluster, cl *admin.Client) {
	env := newEnv(t, cl, "cohorts")
	cohorts := envPath(env.ID, "/cohorts")

	vips := decode[cohortAnswer](t, call(t, cl, http.MethodPost, cohorts,
		map[string]any{"name": "vips", "is_static": true, "members": []string{"u1", "u2", "u1"}}, http.StatusCreated)).Cohort
	if vips.MemberCount != 2 {
		t.Fatalf("vips = %+v", vips)
	}
	members := fmt.Sprintf("%s/%d/members", cohorts, vips.ID)
	call(t, cl, http.MethodPost, envPath(env.ID, "/flags"), inCohort("vip-only", vips.ID), http.StatusCreated)
	enabledFor(t, c, env.SDKKey, "vip-only", map[string]bool{"u1": true, "u3": false})

	// CSV append, then a JSON replace.
	got := decode[cohortAnswer](t, call(t, cl, http.MethodPost, members, admin.Raw{ContentType: "text/csv", Data: []byte("distinct_id\nu3\nu2\n")}, http.StatusOK)).Cohort
	if got.MemberCount != 3 {
		t.Fatalf("after append: %+v", got)
	}
	enabledFor(t, c, env.SDKKey, "vip-only", map[string]bool{"u3": true})
	call(t, cl, http.MethodPut, members, map[string]any{"members": []string{"u9"}}, http.StatusOK)
	enabledFor(t, c, env.SDKKey, "vip-only", map[string]bool{"u1": false, "u9": true})
	wantError(t, cl, http.MethodPut, members, admin.Raw{ContentType: "application/xml", Data: []byte("<a/>")}, http.StatusBadRequest, "unsupported_media_type")
	wantError(t, cl, http.MethodPut, members, []string{""}, http.StatusUnprocessableEntity, "validation_failed")
	wantError(t, cl, http.MethodPut, members, []string{"a"}, http.StatusPreconditionFailed, "version_mismatch", map[string]string{"If-Match": `"1"`})

	// 100,000 members in one CSV upload replace the list, and reach the evaluator.
	var csv strings.Builder
	csv.WriteString("distinct_id\n")
	for i := range 100_000 {
		fmt.Fprintf(&csv, "member-%06d\n", i)
	}
	got = decode[cohortAnswer](t, call(t, cl, http.MethodPut, members, admin.Raw{ContentType: "text/csv", Data: []byte(csv.String())}, http.StatusOK)).Cohort
	if got.MemberCount != 100_000 {
		t.Fatalf("after the 100k upload: %+v", got)
	}
	enabledFor(t, c, env.SDKKey, "vip-only", map[string]bool{"member-099999": true, "u9": false})
	// Members beyond one NATS message are accepted: the snapshot travels in chunks (ADR 0016).
	var huge strings.Builder
	long := strings.Repeat("x", 380)
	for i := range 16_000 {
		fmt.Fprintf(&huge, "%s-%09d\n", long, i)
	}
	call(t, cl, http.MethodPost, members, admin.Raw{ContentType: "text/csv", Data: []byte(huge.String())}, http.StatusOK)
	enabledFor(t, c, env.SDKKey, "vip-only", map[string]bool{long + "-000015999": true, "member-099999": true})
	page := decode[struct {
		Members    []string
		NextCursor *string `json:"next_cursor"`
	}](t, call(t, cl, http.MethodGet, members+"?limit=3", nil, http.StatusOK))
	if !slices.Equal(page.Members, []string{"member-000000", "member-000001", "member-000002"}) || page.NextCursor == nil {
		t.Fatalf("members page = %+v", page)
	}
	page2 := decode[struct{ Members []string }](t, call(t, cl, http.MethodGet, members+"?limit=1&cursor="+*page.NextCursor, nil, http.StatusOK))
	if !slices.Equal(page2.Members, []string{"member-000003"}) {
		t.Fatalf("second members page = %+v", page2)
	}

	// A property cohort with PostHog's nested shape.
	tree := map[string]any{"properties": map[string]any{"type": "OR", "values": []any{map[string]any{"type": "AND", "values": []any{
		map[string]any{"key": "plan", "type": "person", "operator": "exact", "value": []any{"pro"}}}}}}}
	pro := decode[cohortAnswer](t, call(t, cl, http.MethodPost, cohorts, map[string]any{"name": "pro", "filters": tree}, http.StatusCreated)).Cohort
	call(t, cl, http.MethodPost, envPath(env.ID, "/flags"), inCohort("pro-only", pro.ID), http.StatusCreated)
	enabledFor(t, c, env.SDKKey, "pro-only", map[string]bool{"anyone": true})
	badTree := map[string]any{"properties": map[string]any{"type": "XOR", "values": []any{map[string]any{"key": "plan", "operator": "nearly", "value": 1}}}}
	p := decode[problemsAnswer](t, wantError(t, cl, http.MethodPost, cohorts, map[string]any{"name": "bad", "filters": badTree}, http.StatusUnprocessableEntity, "validation_failed"))
	if len(p.Details) != 2 {
		t.Fatalf("bad tree problems = %+v", p.Details)
	}
	wantError(t, cl, http.MethodPost, cohorts, map[string]any{"name": "vips", "is_static": true}, http.StatusConflict, "cohort_exists")
	wantError(t, cl, http.MethodPost, fmt.Sprintf("%s/%d/members", cohorts, pro.ID), []string{"a"}, http.StatusConflict, "cohort_not_static")
	wantError(t, cl, http.MethodPost, envPath(env.ID, "/flags"), inCohort("ghost", 999999), http.StatusUnprocessableEntity, "validation_failed")

	// Patch, with If-Match.
	path := fmt.Sprintf("%s/%d", cohorts, pro.ID)
	if r := call(t, cl, http.MethodGet, path, nil, http.StatusOK); r.Header.Get("ETag") != `"1"` || decode[cohortAnswer](t, r).Cohort.Name != "pro" {
		t.Fatalf("GET cohort: ETag %s, %s", r.Header.Get("ETag"), r.Body)
	}
	wantError(t, cl, http.MethodPatch, path, map[string]any{"name": "x"}, http.StatusPreconditionFailed, "version_mismatch", map[string]string{"If-Match": `"9"`})
	if got := decode[cohortAnswer](t, call(t, cl, http.MethodPatch, path, map[string]any{"description": "paying"}, http.StatusOK, map[string]string{"If-Match": `"1"`})).Cohort; got.Version != 2 {
		t.Fatalf("patched cohort = %+v", got)
	}
	wantError(t, cl, http.MethodPatch, path, map[string]any{"is_static": true}, http.StatusUnprocessableEntity, "validation_failed")

	// Deleting a cohort in use names its users.
	r := wantError(t, cl, http.MethodDelete, fmt.Sprintf("%s/%d", cohorts, vips.ID), nil, http.StatusConflict, "cohort_in_use")
	inUse := decode[struct{ Details struct{ Flags []string } }](t, r)
	if !slices.Equal(inUse.Details.Flags, []string{"vip-only"}) {
		t.Fatalf("cohort_in_use details = %s", r.Body)
	}
	call(t, cl, http.MethodDelete, envPath(env.ID, "/flags/vip-only"), nil, http.StatusNoContent)
	call(t, cl, http.MethodDelete, fmt.Sprintf("%s/%d", cohorts, vips.ID), nil, http.StatusNoContent)
	wantError(t, cl, http.MethodGet, fmt.Sprintf("%s/%d", cohorts, vips.ID), nil, http.StatusNotFound, "cohort_not_found")
	if list := decode[struct{ Cohorts []any }](t, call(t, cl, http.MethodGet, cohorts, nil, http.StatusOK)); len(list.Cohorts) != 1 {
		t.Fatalf("cohorts left = %+v", list.Cohorts)
	}
}
