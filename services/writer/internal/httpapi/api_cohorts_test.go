package httpapi

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/admin"
)

type cohortAnswer struct {
	Cohort             admin.CohortRecord `json:"cohort"`
	EnvironmentVersion int64              `json:"environment_version"`
}

type memberPage struct {
	Members    []string `json:"members"`
	NextCursor *string  `json:"next_cursor"`
}

var staffTree = map[string]any{"properties": map[string]any{"type": "OR", "values": []any{map[string]any{"type": "AND",
	"values": []any{map[string]any{"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"}}}}}}

func inCohort(key string, id int64) map[string]any {
	return map[string]any{"key": key, "filters": map[string]any{"groups": []any{map[string]any{"properties": []any{
		map[string]any{"key": "id", "type": "cohort", "value": id}}}}}}
}

// TestCohorts: static and property cohorts are created, read, patched and deleted; members are uploaded as
// JSON or CSV, replaced or appended, and listed a page at a time; a cohort a flag uses cannot be deleted.
func TestCohorts(t *testing.T) {
	a := newAPI(t)
	env := a.environment("cohorts")
	cohorts := env.path("/cohorts")
	var beta, staff cohortAnswer
	rec := a.ok(http.MethodPost, cohorts, map[string]any{"name": " beta ", "is_static": true, "members": []string{"u2", "u1", "u2"}},
		http.StatusCreated, &beta)
	if beta.Cohort.Name != "beta" || beta.Cohort.MemberCount != 2 || rec.Header().Get("ETag") != `"1"` {
		t.Fatalf("created %+v", beta.Cohort)
	}
	a.ok(http.MethodPost, cohorts, map[string]any{"name": "staff", "filters": staffTree}, http.StatusCreated, &staff)
	a.fails(http.MethodPost, cohorts, map[string]any{"name": "beta", "is_static": true}, http.StatusConflict, "cohort_exists")
	e := a.fails(http.MethodPost, cohorts, map[string]any{"name": "", "members": []string{"a"}}, http.StatusUnprocessableEntity, "validation_failed")
	if diff := cmp.Diff([]string{"name", "members", "filters"}, e.problemPaths(t)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodPost, "/environments/999/cohorts", map[string]any{"name": "x", "is_static": true}, http.StatusNotFound, "environment_not_found")

	var list struct {
		Cohorts []admin.CohortRecord `json:"cohorts"`
	}
	a.ok(http.MethodGet, cohorts, nil, http.StatusOK, &list)
	if len(list.Cohorts) != 2 {
		t.Fatalf("listed %+v", list.Cohorts)
	}
	a.fails(http.MethodGet, "/environments/999/cohorts", nil, http.StatusNotFound, "environment_not_found")
	one := cohorts + "/" + idText(beta.Cohort.ID)
	rec = a.ok(http.MethodGet, one, nil, http.StatusOK, &beta)
	if rec.Header().Get("ETag") != `"1"` {
		t.Errorf("ETag %q", rec.Header().Get("ETag"))
	}
	a.fails(http.MethodGet, cohorts+"/999", nil, http.StatusNotFound, "cohort_not_found")

	a.ok(http.MethodPatch, one, map[string]any{"description": "early users"}, http.StatusOK, &beta)
	if beta.Cohort.Description != "early users" || beta.Cohort.Version != 2 {
		t.Fatalf("patched %+v", beta.Cohort)
	}
	a.fails(http.MethodPatch, one, map[string]any{"members": []string{"x"}}, http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPatch, one, map[string]any{"is_static": false, "filters": staffTree}, http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPatch, one, map[string]any{"name": "staff"}, http.StatusConflict, "cohort_exists")
	a.fails(http.MethodPatch, one, map[string]any{"name": "x"}, http.StatusPreconditionFailed, "version_mismatch", "If-Match", `"1"`)

	members := one + "/members"
	a.ok(http.MethodPut, members, []string{"a", "b", "c"}, http.StatusOK, &beta)
	a.ok(http.MethodPost, members, raw{"text/csv", "distinct_id\nc\nd\n"}, http.StatusOK, &beta)
	a.ok(http.MethodPost, members, map[string]any{"members": []string{"e"}}, http.StatusOK, &beta)
	if beta.Cohort.MemberCount != 5 {
		t.Fatalf("%d members after replace and appends, want 5", beta.Cohort.MemberCount)
	}
	a.fails(http.MethodPut, members, []string{""}, http.StatusUnprocessableEntity, "validation_failed")
	a.fails(http.MethodPut, members, raw{"application/xml", "<a/>"}, http.StatusBadRequest, "unsupported_media_type")
	a.fails(http.MethodPut, cohorts+"/"+idText(staff.Cohort.ID)+"/members", []string{"a"}, http.StatusConflict, "cohort_not_static")
	var got []string
	for q := "?limit=2"; ; {
		var page memberPage
		a.ok(http.MethodGet, members+q, nil, http.StatusOK, &page)
		got = append(got, page.Members...)
		if page.NextCursor == nil {
			break
		}
		q = "?limit=2&cursor=" + *page.NextCursor
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, got); diff != "" {
		t.Errorf("members mismatch (-want +got):\n%s", diff)
	}
	a.fails(http.MethodGet, cohorts+"/999/members", nil, http.StatusNotFound, "cohort_not_found")

	// A cohort in use by a flag cannot be deleted until the flag is.
	a.ok(http.MethodPost, env.path("/flags"), inCohort("for-beta", beta.Cohort.ID), http.StatusCreated, nil)
	e = a.fails(http.MethodDelete, one, nil, http.StatusConflict, "cohort_in_use")
	if string(e.Details) != `{"flags":["for-beta"],"cohorts":[]}` {
		t.Errorf("details %s", e.Details)
	}
	a.fails(http.MethodPost, env.path("/flags"), inCohort("ghost", 999999), http.StatusUnprocessableEntity, "validation_failed")
	a.ok(http.MethodDelete, env.path("/flags/for-beta"), nil, http.StatusNoContent, nil)
	a.fails(http.MethodDelete, one, nil, http.StatusPreconditionFailed, "version_mismatch", "If-Match", `"1"`)
	a.ok(http.MethodDelete, one, nil, http.StatusNoContent, nil)
	a.fails(http.MethodDelete, one, nil, http.StatusNotFound, "cohort_not_found")
}
