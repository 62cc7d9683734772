package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// posthogPayload is a PostHog local-evaluation payload as PostHog serves it: a flag depending on another (by
// the other's key, with a dependency_chain), a flag on a property cohort, and a group type.
const posthogPayload = `{
  "flags": [
    {"id": 101, "team_id": 1, "key": "ph-base", "name": "Base", "active": true, "deleted": false,
     "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}},
    {"id": 102, "key": "ph-dep", "name": "Depends on base", "active": true,
     "filters": {"groups": [{"properties": [{"key": "ph-base", "type": "flag", "operator": "flag_evaluates_to", "value": true, "dependency_chain": ["ph-base"]}], "rollout_percentage": 100}]}},
    {"id": 103, "key": "ph-cohort", "name": "Pro users", "active": true,
     "filters": {"groups": [{"properties": [{"key": "id", "type": "cohort", "value": 7}], "rollout_percentage": 100}]}}
  ],
  "group_type_mapping": {"0": "company"},
  "cohorts": {"7": {"type": "OR", "values": [{"type": "AND", "values": [{"key": "plan", "type": "person", "operator": "exact", "value": ["pro"]}]}]}}
}`

type importAnswer struct {
	EnvironmentVersion int64 `json:"environment_version"`
	FlagsCreated       int   `json:"flags_created"`
	FlagsUpdated       int   `json:"flags_updated"`
	CohortsCreated     int   `json:"cohorts_created"`
}

type exportDoc struct {
	Format     string            `json:"format"`
	GroupTypes map[string]string `json:"group_types"`
	Cohorts    []map[string]any  `json:"cohorts"`
	Flags      []struct {
		ID      int64  `json:"id"`
		Key     string `json:"key"`
		Filters struct {
			Groups []struct {
				Properties []struct {
					Key   string `json:"key"`
					Type  string `json:"type"`
					Value any    `json:"value"`
				} `json:"properties"`
			} `json:"groups"`
		} `json:"filters"`
	} `json:"flags"`
}

// checkDependency checks that ph-dep depends on ph-base's id in this export.
func checkDependency(t *testing.T, doc exportDoc) {
	t.Helper()
	ids := map[string]int64{}
	for _, f := range doc.Flags {
		ids[f.Key] = f.ID
	}
	for _, f := range doc.Flags {
		if f.Key == "ph-dep" && f.Filters.Groups[0].Properties[0].Key != strconv.FormatInt(ids["ph-base"], 10) {
			t.Fatalf("ph-dep depends on %s, ph-base is %d", f.Filters.Groups[0].Properties[0].Key, ids["ph-base"])
		}
	}
}

func adminBulk(t *testing.T, c *cluster.Cluster, cl *admin.Client) {
	staging := newEnv(t, cl, "bulk-staging")
	res := decode[importAnswer](t, call(t, cl, http.MethodPost, envPath(staging.ID, "/import"),
		admin.Raw{ContentType: "application/json", Data: []byte(posthogPayload)}, http.StatusOK))
	if res.EnvironmentVersion != staging.Version+1 || res.FlagsCreated != 3 || res.CohortsCreated != 1 {
		t.Fatalf("import = %+v (environment was at v%d)", res, staging.Version)
	}
	waitFlag(t, c, staging.SDKKey, "u", map[string]any{"plan": "pro"}, func(r *admin.FlagsResponse) error {
		for _, k := range []string{"ph-base", "ph-dep", "ph-cohort"} {
			if !r.Flags[k].Enabled {
				return fmt.Errorf("%s = %+v", k, r.Flags[k])
			}
		}
		return nil
	})
	// Every audit row of the import carries the one version it produced.
	audit := decode[auditPage](t, call(t, cl, http.MethodGet, fmt.Sprintf("/api/v1/audit?environment_id=%d&limit=10", staging.ID), nil, http.StatusOK))
	for _, e := range audit.Entries[:4] {
		if e.EnvironmentVersion == nil || *e.EnvironmentVersion != res.EnvironmentVersion {
			t.Fatalf("audit entry %+v is not at v%d", e, res.EnvironmentVersion)
		}
	}
	// Importing the same definitions again changes nothing: no new version.
	same := decode[importAnswer](t, call(t, cl, http.MethodPost, envPath(staging.ID, "/import"),
		admin.Raw{ContentType: "application/json", Data: []byte(posthogPayload)}, http.StatusOK))
	if same.EnvironmentVersion != res.EnvironmentVersion || same.FlagsUpdated != 0 || same.FlagsCreated != 0 {
		t.Fatalf("identical import = %+v (environment at v%d)", same, res.EnvironmentVersion)
	}
	// Importing changed definitions updates in place, still one version.
	changed := strings.Replace(posthogPayload, `"name": "Base"`, `"name": "Base, renamed"`, 1)
	again := decode[importAnswer](t, call(t, cl, http.MethodPost, envPath(staging.ID, "/import"),
		admin.Raw{ContentType: "application/json", Data: []byte(changed)}, http.StatusOK))
	if again.EnvironmentVersion != res.EnvironmentVersion+1 || again.FlagsUpdated != 3 || again.FlagsCreated != 0 {
		t.Fatalf("second import = %+v", again)
	}

	exported := call(t, cl, http.MethodGet, envPath(staging.ID, "/export"), nil, http.StatusOK)
	doc := decode[exportDoc](t, exported)
	if doc.Format != "halyard-export/v1" || len(doc.Flags) != 3 || len(doc.Cohorts) != 1 || doc.GroupTypes["0"] != "company" {
		t.Fatalf("export = %s", exported.Body)
	}
	checkDependency(t, doc)

	// Halyard's export imports into another environment, references rewritten to its ids.
	other := newEnv(t, cl, "bulk-other")
	first := decode[importAnswer](t, call(t, cl, http.MethodPost, envPath(other.ID, "/import"), admin.Raw{ContentType: "application/json", Data: exported.Body}, http.StatusOK))
	if same := decode[importAnswer](t, call(t, cl, http.MethodPost, envPath(other.ID, "/import"), admin.Raw{ContentType: "application/json", Data: exported.Body}, http.StatusOK)); same.EnvironmentVersion != first.EnvironmentVersion {
		t.Fatalf("importing the same export again moved the version from %d to %d", first.EnvironmentVersion, same.EnvironmentVersion)
	}
	otherDoc := decode[exportDoc](t, call(t, cl, http.MethodGet, envPath(other.ID, "/export"), nil, http.StatusOK))
	checkDependency(t, otherDoc)
	if otherDoc.Flags[0].ID == doc.Flags[0].ID {
		t.Fatalf("the import reused the source's ids")
	}

	// An invalid import changes nothing.
	before := decode[envDetail](t, call(t, cl, http.MethodGet, envPath(other.ID, ""), nil, http.StatusOK)).Version
	bad := `{"flags": [{"id": 1, "key": "ok", "filters": {"groups": []}}, {"id": 2, "key": "bad", "filters": {"groups": [{"rollout_percentage": 101}]}}]}`
	p := decode[problemsAnswer](t, wantError(t, cl, http.MethodPost, envPath(other.ID, "/import"), admin.Raw{ContentType: "application/json", Data: []byte(bad)}, http.StatusUnprocessableEntity, "validation_failed"))
	if len(p.Details) != 1 || p.Details[0].Path != "flags[1].filters.groups[0].rollout_percentage" {
		t.Fatalf("import problems = %+v", p.Details)
	}
	dangling := `{"flags": [{"id": 1, "key": "dangling", "filters": {"groups": [{"properties": [{"key": "555", "type": "flag", "operator": "flag_evaluates_to", "value": true}]}]}}]}`
	wantError(t, cl, http.MethodPost, envPath(other.ID, "/import"), admin.Raw{ContentType: "application/json", Data: []byte(dangling)}, http.StatusUnprocessableEntity, "validation_failed")
	wantError(t, cl, http.MethodPost, envPath(other.ID, "/import"), map[string]any{"format": "halyard-export/v1", "flags": []any{}, "extra": 1}, http.StatusBadRequest, "unknown_field")
	wantError(t, cl, http.MethodPost, envPath(other.ID, "/import"), map[string]any{"format": "v9"}, http.StatusUnprocessableEntity, "validation_failed")
	// A document that is neither a Halyard export nor a PostHog payload is refused, not imported as nothing.
	for _, body := range []string{`{}`, `{"foo": 1}`, `{"Flags": []}`} {
		wantError(t, cl, http.MethodPost, envPath(other.ID, "/import"), admin.Raw{ContentType: "application/json", Data: []byte(body)}, http.StatusBadRequest, "unrecognized_import")
	}
	// An import with nothing in it changes nothing: no new version, nothing published.
	for _, body := range []string{`{"flags": []}`, `{"format": "halyard-export/v1", "group_types": {}, "cohorts": [], "flags": []}`} {
		empty := decode[importAnswer](t, call(t, cl, http.MethodPost, envPath(other.ID, "/import"), admin.Raw{ContentType: "application/json", Data: []byte(body)}, http.StatusOK))
		if empty.EnvironmentVersion != before || empty.FlagsCreated+empty.FlagsUpdated+empty.CohortsCreated != 0 {
			t.Fatalf("empty import %s = %+v, environment at v%d", body, empty, before)
		}
	}
	if after := decode[envDetail](t, call(t, cl, http.MethodGet, envPath(other.ID, ""), nil, http.StatusOK)).Version; after != before {
		t.Fatalf("refused imports moved the version from %d to %d", before, after)
	}

	// Each flag is valid (descriptions are capped at 10,000 bytes), together (9.5 MB) they outgrow one
	// message of the cluster's 8 MiB max_payload: the import is accepted and the snapshot reaches the
	// evaluator in chunks (ADR 0016).
	var fatFlags []any
	for i := range 1000 {
		fatFlags = append(fatFlags, map[string]any{"id": i + 1, "key": fmt.Sprintf("fat-%d", i), "active": true,
			"description": strings.Repeat("x", 9500), "filters": map[string]any{"groups": []any{map[string]any{"rollout_percentage": 100}}}})
	}
	fat := map[string]any{"format": "halyard-export/v1", "flags": fatFlags}
	if got := decode[importAnswer](t, call(t, cl, http.MethodPost, envPath(other.ID, "/import"), fat, http.StatusOK)); got.FlagsCreated != 1000 {
		t.Fatalf("the large import = %+v", got)
	}
	waitFlag(t, c, other.SDKKey, "u", nil, func(r *admin.FlagsResponse) error {
		if !r.Flags["fat-999"].Enabled {
			return fmt.Errorf("fat-999 = %+v", r.Flags["fat-999"])
		}
		return nil
	})

	// Promote staging to production: copy chosen flags in one transaction.
	prod := newEnv(t, cl, "bulk-prod")
	copyPath := envPath(staging.ID, "/copy-flags")
	wantError(t, cl, http.MethodPost, copyPath, map[string]any{"target_environment_id": prod.ID, "keys": []string{"ph-dep"}}, http.StatusUnprocessableEntity, "validation_failed")
	wantError(t, cl, http.MethodPost, copyPath, map[string]any{"target_environment_id": prod.ID, "keys": []string{"ph-cohort"}}, http.StatusUnprocessableEntity, "validation_failed")
	wantError(t, cl, http.MethodPost, copyPath, map[string]any{"target_environment_id": prod.ID, "keys": []string{"nope"}}, http.StatusUnprocessableEntity, "validation_failed")
	wantError(t, cl, http.MethodPost, copyPath, map[string]any{"target_environment_id": 999999, "keys": []string{"ph-base"}}, http.StatusNotFound, "environment_not_found")
	cp := decode[importAnswer](t, call(t, cl, http.MethodPost, copyPath, map[string]any{"target_environment_id": prod.ID, "keys": []string{"ph-dep", "ph-base"}}, http.StatusOK))
	if cp.FlagsCreated != 2 || cp.EnvironmentVersion != prod.Version+1 {
		t.Fatalf("copy = %+v", cp)
	}
	checkDependency(t, decode[exportDoc](t, call(t, cl, http.MethodGet, envPath(prod.ID, "/export"), nil, http.StatusOK)))
	waitFlag(t, c, prod.SDKKey, "u", nil, func(r *admin.FlagsResponse) error {
		if !r.Flags["ph-dep"].Enabled {
			return fmt.Errorf("ph-dep in production = %+v", r.Flags["ph-dep"])
		}
		return nil
	})
	// Copying again replaces by key; dependencies outside the copied set follow keys.
	cp = decode[importAnswer](t, call(t, cl, http.MethodPost, copyPath, map[string]any{"target_environment_id": prod.ID, "keys": []string{"ph-dep"}}, http.StatusOK))
	if cp.FlagsUpdated != 1 {
		t.Fatalf("second copy = %+v", cp)
	}
}
