package prometheus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// dashboardsDir holds the Grafana dashboards the compose cluster provisions, relative to this package.
const dashboardsDir = "../grafana/dashboards"

// grafanaVariables are what Grafana replaces in a query before Prometheus sees it, with values that parse.
var grafanaVariables = strings.NewReplacer(
	"$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h", "$instance", ".*", "$environment", ".*")

// TestDashboardQueriesParse hands every PromQL query of every dashboard to promtool, as recording rules, so
// a query Prometheus cannot parse fails here rather than as an empty panel. (devkit/e2e's TestMetricsExported
// checks that the metrics they name exist.)
func TestDashboardQueriesParse(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(dashboardsDir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no dashboard in %s (%v)", dashboardsDir, err)
	}
	var rules []map[string]string
	for _, path := range paths {
		for i, expr := range dashboardExprs(t, path) {
			rules = append(rules, map[string]string{
				"record": fmt.Sprintf("dashboard:%s:%d", strings.TrimSuffix(filepath.Base(path), ".json"), i),
				"expr":   grafanaVariables.Replace(expr),
			})
		}
	}
	data, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dashboards.rules.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, "check", "rules", file)
}

// dashboardExprs returns the PromQL of every panel target of the dashboard at path (rows' nested panels
// included), failing the test on a target without one.
func dashboardExprs(tb testing.TB, path string) []string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var d struct {
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	var out []string
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					tb.Errorf("%s: panel %q has a target without a query", path, p.Title)
				}
				out = append(out, tg.Expr)
			}
			for _, raw := range p.Panels {
				var child panel
				if err := json.Unmarshal(raw, &child); err != nil {
					tb.Fatalf("%s: %v", path, err)
				}
				walk([]panel{child})
			}
		}
	}
	walk(d.Panels)
	return out
}
