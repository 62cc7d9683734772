package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/devkit/admin"
)

// TestNumbersKeepTheirText: a filter value written with 5.0, a 20-digit integer and a trailing zero comes back
// out of the export and the local-evaluation definitions as written (through PostgreSQL's JSONB and the
// snapshot), and /flags compares it as PostHog does: 5.0 matches 5.0 but not 5, and the integer only itself.
func TestNumbersKeepTheirText(t *testing.T) {
	c := startCluster(t, 1)
	cl := admin.New(c.Writer.URL(), c.Opts.AdminToken)
	env := newEnv(t, cl, "numbers")
	const value = `[5.0,12345678901234567890,1.50]`
	filters := json.RawMessage(`{"groups":[{"properties":[{"key":"n","type":"person","operator":"exact","value":` + value + `}],"rollout_percentage":100}]}`)
	call(t, cl, http.MethodPost, envPath(env.ID, "/flags"), map[string]any{"key": "numbers", "filters": filters}, http.StatusCreated)

	exported := call(t, cl, http.MethodGet, envPath(env.ID, "/export"), nil, http.StatusOK)
	if !strings.Contains(string(exported.Body), value) {
		t.Errorf("export does not carry %s: %s", value, exported.Body)
	}
	if defs := localEvaluation(t, c, env.ServerKey, 1); !strings.Contains(string(defs), value) {
		t.Errorf("definitions do not carry %s: %s", value, defs)
	}
	want := map[string]bool{"5.0": true, "12345678901234567890": true, "1.50": true, "5": false, "12345678901234567891": false}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		got := map[string]bool{}
		for n := range want {
			a, err := answers(c, env.SDKKey, "user-1", map[string]any{"n": json.Number(n)})
			if err != nil {
				return err
			}
			got[n] = a["numbers"].Enabled
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("mismatch (-want +got):\n%s", diff)
		}
		return nil
	})
}
