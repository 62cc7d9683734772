package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/admin"
)

// appearance is the part of an environment the admin UI sets.
type appearance struct {
	Name      string `json:"name"`
	Version   int64  `json:"version"`
	Label     string `json:"label"`
	Color     string `json:"color"`
	Protected bool   `json:"protected"`
}

// TestEnvironmentAppearance: a new environment has no label, no colour and is not protected; an admin
// changes them with PATCH, which is one audited change of the environment, seen by its reads and lists.
func TestEnvironmentAppearance(t *testing.T) {
	a := newAPI(t)
	env := a.environment("appearance")
	var got appearance
	a.ok(http.MethodGet, env.path(""), nil, http.StatusOK, &got)
	if diff := cmp.Diff(appearance{Name: "prod", Version: 1}, got); diff != "" {
		t.Fatalf("new environment mismatch (-want +got):\n%s", diff)
	}

	rec := a.ok(http.MethodPatch, env.path(""), map[string]any{"label": " Production ", "color": "#D32F2F", "protected": true}, http.StatusOK, &got)
	want := appearance{Name: "prod", Version: 2, Label: "Production", Color: "#d32f2f", Protected: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PATCH answer mismatch (-want +got):\n%s", diff)
	}
	if v := rec.Header().Get(HeaderEnvironmentVersion); v != "2" {
		t.Errorf("version header %q, want 2", v)
	}
	a.ok(http.MethodGet, env.path(""), nil, http.StatusOK, &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET after PATCH mismatch (-want +got):\n%s", diff)
	}
	var list struct {
		Environments []appearance `json:"environments"`
	}
	a.ok(http.MethodGet, "/projects/"+idText(env.ProjectID)+"/environments", nil, http.StatusOK, &list)
	if diff := cmp.Diff([]appearance{want}, list.Environments); diff != "" {
		t.Errorf("list mismatch (-want +got):\n%s", diff)
	}

	// Fields left out stay; a rename is a change like the others.
	a.ok(http.MethodPatch, env.path(""), map[string]any{"name": "production", "color": ""}, http.StatusOK, &got)
	want = appearance{Name: "production", Version: 3, Label: "Production", Protected: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("second PATCH mismatch (-want +got):\n%s", diff)
	}
	// Nothing to change changes nothing.
	a.ok(http.MethodPatch, env.path(""), map[string]any{}, http.StatusOK, &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("empty PATCH mismatch (-want +got):\n%s", diff)
	}

	var page struct {
		Entries []admin.AuditEntry `json:"entries"`
	}
	a.ok(http.MethodGet, "/audit?environment_id="+idText(env.ID)+"&limit=1", nil, http.StatusOK, &page)
	if len(page.Entries) != 1 {
		t.Fatalf("audit %+v, want one entry", page.Entries)
	}
	entry := page.Entries[0]
	var before, after appearance
	if err := json.Unmarshal(entry.Before, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(entry.After, &after); err != nil {
		t.Fatal(err)
	}
	if entry.Action != "environment.update" || *entry.EnvironmentVersion != 3 ||
		before.Name != "prod" || before.Color != "#d32f2f" || after != want {
		t.Errorf("audit entry %s %s → %s (version %d), want environment.update prod → %+v at 3", entry.Action, entry.Before, entry.After, *entry.EnvironmentVersion, want)
	}
}

// TestEnvironmentAppearanceErrors: only admin tokens change an environment; bad values are 422 with every
// problem at its field; unknown fields, a missing environment, a taken name and a stale If-Match are refused.
func TestEnvironmentAppearanceErrors(t *testing.T) {
	a := newAPI(t)
	env := a.environment("appearance-errors")
	var other environmentAnswer
	a.ok(http.MethodPost, "/projects/"+idText(env.ProjectID)+"/environments", map[string]string{"name": "staging"}, http.StatusCreated, &other)
	var reader, writer tokenAnswer
	a.ok(http.MethodPost, "/tokens", map[string]any{"name": "reader", "scopes": []string{"read"}}, http.StatusCreated, &reader)
	a.ok(http.MethodPost, "/tokens", map[string]any{"name": "writer", "scopes": []string{"write"}}, http.StatusCreated, &writer)

	patch := map[string]any{"protected": true}
	a.as(reader.Token).fails(http.MethodPatch, env.path(""), patch, http.StatusForbidden, "insufficient_scope")
	a.as(writer.Token).fails(http.MethodPatch, env.path(""), patch, http.StatusForbidden, "insufficient_scope")
	a.fails(http.MethodPatch, "/environments/999", patch, http.StatusNotFound, "environment_not_found")
	a.fails(http.MethodPatch, env.path(""), map[string]any{"colour": "#ffffff"}, http.StatusBadRequest, "unknown_field")
	a.fails(http.MethodPatch, env.path(""), map[string]any{"protected": "yes"}, http.StatusBadRequest, "invalid_json")
	a.fails(http.MethodPatch, env.path(""), map[string]any{"name": "staging"}, http.StatusConflict, "environment_exists")
	a.fails(http.MethodPatch, env.path(""), patch, http.StatusPreconditionFailed, "version_mismatch", "If-Match", `"7"`)
	a.ok(http.MethodPatch, env.path(""), patch, http.StatusOK, nil, "If-Match", `"1"`)

	tests := []struct {
		name  string
		body  map[string]any
		paths []string
	}{
		{"colour without #", map[string]any{"color": "d32f2f"}, []string{"color"}},
		{"short colour", map[string]any{"color": "#fff"}, []string{"color"}},
		{"long label", map[string]any{"label": "This label is far too long to fit a badge"}, []string{"label"}},
		{"blank name", map[string]any{"name": " "}, []string{"name"}},
		{"all three", map[string]any{"name": "", "label": "two\nlines", "color": "red"}, []string{"name", "label", "color"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := a.fails(http.MethodPatch, env.path(""), tt.body, http.StatusUnprocessableEntity, "validation_failed")
			if diff := cmp.Diff(tt.paths, e.problemPaths(t)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
	var got appearance
	a.ok(http.MethodGet, env.path(""), nil, http.StatusOK, &got)
	if diff := cmp.Diff(appearance{Name: "prod", Version: 2, Protected: true}, got); diff != "" {
		t.Errorf("after the refused changes (-want +got):\n%s", diff)
	}
}
