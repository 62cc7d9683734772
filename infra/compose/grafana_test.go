package compose

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const grafanaDir = repoRoot + "/infra/grafana"

// grafanaDatasourceUID is the uid of the provisioned Prometheus data source, which dashboards refer to.
const grafanaDatasourceUID = "prometheus"

// TestGrafanaProvisioning checks the data source and dashboard provider that the grafana service mounts:
// Prometheus at the compose service's address, and dashboards from the directory mounted for them.
func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		Datasources []struct{ Name, UID, Type, URL string } `json:"datasources"`
	}
	readYAML(t, filepath.Join(grafanaDir, "provisioning/datasources/prometheus.yml"), &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].UID != grafanaDatasourceUID || ds.Datasources[0].Type != "prometheus" ||
		ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("datasources = %+v, want one prometheus data source, uid %q, at http://prometheus:9090",
			ds.Datasources, grafanaDatasourceUID)
	}
	var dp struct {
		Providers []struct {
			Type    string
			Options struct{ Path string }
		} `json:"providers"`
	}
	readYAML(t, filepath.Join(grafanaDir, "provisioning/dashboards/halyard.yml"), &dp)
	grafana := service(t, loadProject(t, []string{"profile=grafana"}), "grafana")
	var mounted bool
	for _, v := range grafana.Volumes {
		mounted = mounted || (len(dp.Providers) == 1 && v.Target == dp.Providers[0].Options.Path &&
			strings.HasSuffix(v.Source, "infra/grafana/dashboards"))
	}
	if !mounted {
		t.Errorf("the dashboard provider %+v does not read the directory infra/grafana/dashboards is mounted at", dp.Providers)
	}
}

// TestGrafanaDashboards parses every dashboard in infra/grafana/dashboards, as Grafana cannot run here: each
// must be JSON with a uid and a title, and every data source it names by uid must be the provisioned one
// (or a template variable).
func TestGrafanaDashboards(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(grafanaDir, "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Log("no dashboards yet")
	}
	uids := map[string]string{}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var d map[string]any
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			uid, _ := d["uid"].(string)
			if title, _ := d["title"].(string); uid == "" || title == "" {
				t.Errorf("uid %q, title %q: a provisioned dashboard needs both", uid, title)
			}
			if other, ok := uids[uid]; ok {
				t.Errorf("uid %q is also %s's", uid, other)
			}
			uids[uid] = filepath.Base(path)
			for _, ref := range datasourceUIDs(d) {
				if ref != grafanaDatasourceUID && !strings.HasPrefix(ref, "$") {
					t.Errorf("refers to data source uid %q; the provisioned one is %q", ref, grafanaDatasourceUID)
				}
			}
		})
	}
}

// datasourceUIDs returns the uid of every "datasource": {"uid": …} object anywhere in v.
func datasourceUIDs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if ds, ok := child.(map[string]any); ok && k == "datasource" {
				if uid, ok := ds["uid"].(string); ok {
					out = append(out, uid)
				}
			}
			out = append(out, datasourceUIDs(child)...)
		}
	case []any:
		for _, child := range v {
			out = append(out, datasourceUIDs(child)...)
		}
	}
	return out
}

func readYAML(tb testing.TB, path string, v any) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}
