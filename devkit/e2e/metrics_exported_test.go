package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
	"go.yaml.in/yaml/v3"
)

// fromPrometheus are the metric names Prometheus makes itself rather than scrapes.
var fromPrometheus = map[string]bool{"up": true}

// TestMetricsExported checks that every metric the Grafana dashboards and the alerts name is one a real
// writer or evaluator exports, so no panel stays empty and no alert waits for a series that never comes:
// a cluster (a writer and one evaluator) makes one change and one evaluation, both processes' /metrics are
// scraped, and each name must be among the samples (a histogram by its _bucket, _sum and _count samples).
func TestMetricsExported(t *testing.T) {
	c := startCluster(t, 1)
	ev := c.Evaluators[0]
	cl, env := newEnvironment(t, c)
	if _, err := cl.Do(context.Background(), http.MethodPost, admin.FlagsPath(env.ID), emailFlag("exported", "ada@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		resp, err := tryFlags(ev, env.SDKKey, "ada", map[string]any{"email": "ada@example.com"})
		if err != nil {
			return err
		}
		if !resp.Flags["exported"].Enabled {
			return fmt.Errorf("flag exported not served yet: %+v", resp.Flags)
		}
		return nil
	})

	exported := map[string]bool{}
	for _, p := range []*cluster.Process{c.Writer, ev} {
		for _, name := range scrapedMetricNames(t, p) {
			exported[name] = true
		}
	}
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	used := dashboardMetricNames(t, filepath.Join(root, "infra/grafana/dashboards"))
	for name, where := range alertMetricNames(t, filepath.Join(root, "infra/prometheus/alerts.yml")) {
		used[name] = append(used[name], where...)
	}
	if len(used) == 0 {
		t.Fatal("found no metric name in the dashboards or the alerts")
	}
	t.Logf("%d metric names used by the dashboards and the alerts", len(used))
	var missing []string
	for name, where := range used {
		if !exported[name] && !fromPrometheus[name] {
			missing = append(missing, fmt.Sprintf("%s (%s)", name, strings.Join(slices.Compact(slices.Sorted(slices.Values(where))), "; ")))
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("used but exported by neither the writer nor the evaluator (%d):\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}
}

// scrapedMetricNames returns the name of every sample on the process's /metrics.
func scrapedMetricNames(tb testing.TB, p *cluster.Process) []string {
	tb.Helper()
	resp, err := httpClient.Get(p.AdminURL() + "/metrics")
	if err != nil {
		tb.Fatalf("%s /metrics: %v", p.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s /metrics: %s", p.Name, resp.Status)
	}
	var names []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if end := strings.IndexAny(line, "{ "); end > 0 {
			names = append(names, line[:end])
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s /metrics: %v", p.Name, err)
	}
	return names
}

// dashboardMetricNames returns the metric names the queries of every dashboard in dir use (panel targets,
// rows' panels included, and template variables), each with where it is used.
func dashboardMetricNames(tb testing.TB, dir string) map[string][]string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no dashboard in %s (%v)", dir, err)
	}
	used := map[string][]string{}
	for _, path := range paths {
		var d grafanaDashboard
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(data, &d); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		file := filepath.Base(path)
		d.walk(func(p grafanaPanel) {
			for _, tg := range p.Targets {
				for _, name := range promqlMetricNames(tg.Expr) {
					used[name] = append(used[name], fmt.Sprintf("%s panel %q", file, p.Title))
				}
			}
		})
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			for _, name := range variableMetricNames(v.queryText()) {
				used[name] = append(used[name], fmt.Sprintf("%s variable %q", file, v.Name))
			}
		}
	}
	return used
}

// alertMetricNames returns the metric names of every rule's expression in the rule file at path, each with
// the rules that use it.
func alertMetricNames(tb testing.TB, path string) map[string][]string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct{ Alert, Record, Expr string } `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	used := map[string][]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			for _, name := range promqlMetricNames(r.Expr) {
				used[name] = append(used[name], "alert "+r.Alert+r.Record)
			}
		}
	}
	return used
}

// grafanaDashboard is the part of a Grafana dashboard's JSON that holds queries.
type grafanaDashboard struct {
	Panels     []grafanaPanel `json:"panels"`
	Templating struct {
		List []grafanaVariable `json:"list"`
	} `json:"templating"`
}

type grafanaPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"` // a collapsed row's
}

// walk calls fn for every panel, those inside rows included.
func (d grafanaDashboard) walk(fn func(grafanaPanel)) {
	var visit func([]grafanaPanel)
	visit = func(ps []grafanaPanel) {
		for _, p := range ps {
			fn(p)
			visit(p.Panels)
		}
	}
	visit(d.Panels)
}

type grafanaVariable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"` // a string, or {"query": "…"} in newer Grafana
}

func (v grafanaVariable) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}
