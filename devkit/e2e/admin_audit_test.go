package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

type auditEntry struct {
	ID                 int64           `json:"id"`
	EnvironmentVersion *int64          `json:"environment_version"`
	Actor              string          `json:"actor"`
	ActorTokenID       *int64          `json:"actor_token_id"`
	Action             string          `json:"action"`
	Resource           string          `json:"resource"`
	Before             json.RawMessage `json:"before"`
	After              json.RawMessage `json:"after"`
	CreatedAt          time.Time       `json:"created_at"`
}

type auditPage struct {
	Entries    []auditEntry `json:"entries"`
	NextCursor *string      `json:"next_cursor"`
}

func adminAudit(t *testing.T, c *cluster.Cluster, cl *admin.Client) {
	env := newEnv(t, cl, "audit")
	flags := envPath(env.ID, "/flags")
	start := time.Now().Add(-time.Second)
	call(t, cl, http.MethodPost, flags, flagRule("audited", "a", "b"), http.StatusCreated)
	call(t, cl, http.MethodPatch, flags+"/audited", map[string]any{"name": "v2"}, http.StatusOK)
	call(t, cl, http.MethodPost, flags+"/audited/toggle", nil, http.StatusOK)
	call(t, cl, http.MethodDelete, flags+"/audited", nil, http.StatusNoContent)

	base := fmt.Sprintf("/api/v1/audit?environment_id=%d&flag=audited&limit=1", env.ID)
	var actions []string
	var versions []int64
	for next := base; next != ""; {
		page := decode[auditPage](t, call(t, cl, http.MethodGet, next, nil, http.StatusOK))
		for _, e := range page.Entries {
			actions = append(actions, e.Action)
			versions = append(versions, *e.EnvironmentVersion)
			if e.Action == "flag.update" && (len(e.Before) == 0 || len(e.After) == 0 || e.Actor != "bootstrap") {
				t.Fatalf("update entry lacks before/after: %+v", e)
			}
		}
		next = ""
		if page.NextCursor != nil {
			next = base + "&cursor=" + *page.NextCursor
		}
	}
	if fmt.Sprint(actions) != "[flag.delete flag.toggle flag.update flag.create]" || fmt.Sprint(versions) != "[5 4 3 2]" {
		t.Fatalf("audit of the flag, newest first: %v at %v", actions, versions)
	}
	q := func(extra string) int {
		return len(decode[auditPage](t, call(t, cl, http.MethodGet, fmt.Sprintf("/api/v1/audit?environment_id=%d%s", env.ID, extra), nil, http.StatusOK)).Entries)
	}
	if n := q("&actor=bootstrap"); n != 5 {
		t.Fatalf("entries by bootstrap = %d, want 5 (environment + 4 flag changes)", n)
	}
	if n := q("&actor=someone-else"); n != 0 {
		t.Fatalf("entries by someone-else = %d", n)
	}
	if n := q("&since=" + url.QueryEscape(start.Format(time.RFC3339Nano))); n != 5 {
		t.Fatalf("entries since the start = %d", n)
	}
	if n := q("&until=" + url.QueryEscape(start.Format(time.RFC3339Nano))); n != 0 {
		t.Fatalf("entries until the start = %d", n)
	}
	wantError(t, cl, http.MethodGet, "/api/v1/audit?since=yesterday", nil, http.StatusBadRequest, "invalid_parameter")
	// The audit log cannot be edited through the API: there is no such route.
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		r, err := cl.Request(t.Context(), m, "/api/v1/audit", map[string]any{}, nil)
		if err != nil || (r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed) {
			t.Fatalf("%s /api/v1/audit: %v %v", m, err, r)
		}
	}
}

// adminConcurrency: two PATCHes with the same If-Match, one wins and one gets 412; concurrent unconditional
// PATCHes never lose an update.
func adminConcurrency(t *testing.T, c *cluster.Cluster, cl *admin.Client) {
	env := newEnv(t, cl, "concurrency")
	flags := envPath(env.ID, "/flags")
	call(t, cl, http.MethodPost, flags, flagRule("race", "a", "b"), http.StatusCreated)

	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			r, err := cl.Request(t.Context(), http.MethodPatch, flags+"/race", map[string]any{"name": fmt.Sprint("writer-", i)}, map[string]string{"If-Match": `"1"`})
			if err == nil {
				statuses[i] = r.Status
			}
		})
	}
	wg.Wait()
	if !(statuses[0] == 200 && statuses[1] == 412 || statuses[0] == 412 && statuses[1] == 200) {
		t.Fatalf("two PATCHes with the same If-Match answered %v, want one 200 and one 412", statuses)
	}

	const n = 8
	for i := range n {
		wg.Go(func() {
			r, err := cl.Request(t.Context(), http.MethodPatch, flags+"/race", map[string]any{"tags": []string{fmt.Sprint(i)}}, nil)
			if err != nil || r.Status != http.StatusOK {
				t.Errorf("concurrent PATCH %d: %v %v", i, err, r)
			}
		})
	}
	wg.Wait()
	f := decode[flagAnswer](t, call(t, cl, http.MethodGet, flags+"/race", nil, http.StatusOK))
	if f.Version != 2+n || f.EnvironmentVersion != 3+n {
		t.Fatalf("after %d concurrent patches: flag v%d, environment v%d", n, f.Version, f.EnvironmentVersion)
	}
}
