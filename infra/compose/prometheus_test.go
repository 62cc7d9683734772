package compose

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

type prometheusConfig struct {
	RuleFiles     []string `json:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `json:"job_name"`
		StaticConfigs []struct {
			Targets []string `json:"targets"`
		} `json:"static_configs"`
	} `json:"scrape_configs"`
}

// scrapeTargets returns infra/prometheus/prometheus.yml's targets by job.
func scrapeTargets(tb testing.TB) map[string][]string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "infra/prometheus/prometheus.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	var cfg prometheusConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		tb.Fatalf("prometheus.yml: %v", err)
	}
	out := map[string][]string{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			out[sc.JobName] = append(out[sc.JobName], s.Targets...)
		}
	}
	return out
}

// TestPrometheusScrapesEveryService checks that every service with an admin listener in the compose file
// (HALYARD_ADMIN_ADDR) is scraped on it, as are the load balancer and Prometheus itself.
func TestPrometheusScrapesEveryService(t *testing.T) {
	want := map[string][]string{"prometheus": {"localhost:9090"}, "haproxy": {"lb:9090"}}
	for name, s := range loadProject(t, nil).Services {
		addr, ok := s.Environment["HALYARD_ADMIN_ADDR"]
		if !ok {
			continue
		}
		image, _, _ := strings.Cut(strings.TrimPrefix(s.Image, "halyard/"), ":")
		job := "halyard-" + image
		want[job] = append(want[job], name+deref(addr))
	}
	for _, targets := range want {
		slices.Sort(targets)
	}
	if diff := cmp.Diff(want, scrapeTargets(t)); diff != "" {
		t.Errorf("scrape targets mismatch (-want +got):\n%s", diff)
	}
}
