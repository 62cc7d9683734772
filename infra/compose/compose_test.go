package compose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
)

// repoRoot is the compose project's directory, relative to this package.
const repoRoot = "../.."

// publishWriter is the override file that publishes the writer's admin API on loopback.
const publishWriter = "infra/compose/publish-writer.yml"

// loadProject loads docker-compose.yml as `docker compose` would, with env as the only environment so that
// the result does not depend on the machine running the test. Extra files (relative to the repository) are
// added after it, and so are profiles given as "profile=NAME" in env.
func loadProject(tb testing.TB, env []string, files ...string) *types.Project {
	tb.Helper()
	paths := []string{filepath.Join(repoRoot, "docker-compose.yml")}
	for _, f := range files {
		paths = append(paths, filepath.Join(repoRoot, f))
	}
	var profiles, vars []string
	for _, e := range env {
		if p, ok := strings.CutPrefix(e, "profile="); ok {
			profiles = append(profiles, p)
		} else {
			vars = append(vars, e)
		}
	}
	opts, err := cli.NewProjectOptions(paths,
		cli.WithWorkingDirectory(repoRoot), cli.WithName("halyard"), cli.WithEnv(vars), cli.WithProfiles(profiles))
	if err != nil {
		tb.Fatalf("NewProjectOptions: %v", err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		tb.Fatalf("loading docker-compose.yml: %v", err)
	}
	return p
}

func service(tb testing.TB, p *types.Project, name string) types.ServiceConfig {
	tb.Helper()
	s, err := p.GetService(name)
	if err != nil {
		tb.Fatalf("service %q: %v", name, err)
	}
	return s
}

// natsNodes and evaluators are the replicated services.
var (
	natsNodes  = []string{"nats-1", "nats-2", "nats-3"}
	evaluators = []string{"evaluator-1", "evaluator-2", "evaluator-3"}
)

func TestServices(t *testing.T) {
	base := []string{"evaluator-1", "evaluator-2", "evaluator-3", "lb", "nats-1", "nats-2", "nats-3", "postgres",
		"prometheus", "seed", "writer"}
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"default", nil, base},
		{"with the grafana profile", []string{"profile=grafana"}, append(slices.Clone(base), "grafana")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadProject(t, tt.env).ServiceNames()
			want := slices.Clone(tt.want)
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("services mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestImages checks that every image but Grafana's is one `make images` builds (nothing is pulled), and
// that NATS runs the version the tests run.
func TestImages(t *testing.T) {
	p := loadProject(t, []string{"profile=grafana", "HALYARD_IMAGE_TAG=v9"})
	want := map[string]string{
		"postgres": "halyard/postgres:v9", "writer": "halyard/writer:v9", "seed": "halyard/seed:v9",
		"lb": "halyard/haproxy:v9", "prometheus": "halyard/prometheus:v9", "grafana": "grafana/grafana-oss:11.4.0",
	}
	nats := "halyard/nats:" + strings.TrimPrefix(natsServerVersion(t), "v")
	for _, n := range natsNodes {
		want[n] = nats
	}
	for _, e := range evaluators {
		want[e] = "halyard/evaluator:v9"
	}
	got := map[string]string{}
	for name, s := range p.Services {
		got[name] = s.Image
		if s.Build != nil {
			t.Errorf("%s has a build section: images are built by `make images`, not by compose", name)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("images mismatch (-want +got):\n%s", diff)
	}
}

func TestPublishedPorts(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		files []string
		want  map[string][]string // service → "host_ip:published:target"
	}{
		{
			name: "defaults: loopback only",
			env:  []string{"profile=grafana"},
			want: map[string][]string{
				"lb": {"127.0.0.1:8081:8081"}, "prometheus": {"127.0.0.1:9090:9090"}, "grafana": {"127.0.0.1:3000:3000"},
			},
		},
		{
			name: "HALYARD_BIND and the port variables",
			env: []string{"profile=grafana", "HALYARD_BIND=0.0.0.0", "HALYARD_LB_PORT=18081",
				"HALYARD_PROMETHEUS_PORT=19090", "HALYARD_GRAFANA_PORT=13000"},
			want: map[string][]string{
				"lb": {"0.0.0.0:18081:8081"}, "prometheus": {"0.0.0.0:19090:9090"}, "grafana": {"0.0.0.0:13000:3000"},
			},
		},
		{
			name:  "the writer published on loopback by the override file",
			env:   []string{"HALYARD_BIND=0.0.0.0", "HALYARD_WRITER_PORT=0"},
			files: []string{publishWriter},
			want: map[string][]string{
				"lb": {"0.0.0.0:8081:8081"}, "prometheus": {"0.0.0.0:9090:9090"}, "writer": {"127.0.0.1:0:8080"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string][]string{}
			for name, s := range loadProject(t, tt.env, tt.files...).Services {
				for _, port := range s.Ports {
					got[name] = append(got[name], port.HostIP+":"+port.Published+":"+itoa(port.Target))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ports mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealthchecks(t *testing.T) {
	p := loadProject(t, nil)
	probe := func(url string) types.HealthCheckTest { return types.HealthCheckTest{"CMD", "/httpprobe", url} }
	want := map[string]types.HealthCheckTest{
		"postgres":   {"CMD", "pg_isready", "-q", "-h", "127.0.0.1"},
		"writer":     {"CMD", "/writer", "-healthcheck"},
		"lb":         {"CMD", "httpprobe", "http://127.0.0.1:8404/healthz"},
		"prometheus": {"CMD", "httpprobe", "http://127.0.0.1:9090/-/ready"},
	}
	for _, n := range natsNodes {
		want[n] = probe("http://127.0.0.1:8222/healthz")
	}
	for _, e := range evaluators {
		want[e] = types.HealthCheckTest{"CMD", "/evaluator", "-healthcheck"}
	}
	got := map[string]types.HealthCheckTest{}
	for name, s := range p.Services {
		hc := s.HealthCheck
		if hc == nil || hc.Disable {
			continue
		}
		got[name] = hc.Test
		if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil || hc.StartPeriod == nil {
			t.Errorf("%s: healthcheck needs interval, timeout, retries and start_period", name)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("healthchecks mismatch (-want +got):\n%s", diff)
	}
}

func TestDependsOn(t *testing.T) {
	p := loadProject(t, []string{"profile=grafana"})
	healthy, started := types.ServiceConditionHealthy, types.ServiceConditionStarted
	natsHealthy := map[string]string{"nats-1": healthy, "nats-2": healthy, "nats-3": healthy}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for n, c := range m {
			out[n] = c
		}
		return out
	}
	want := map[string]map[string]string{
		"writer":  with(natsHealthy, "postgres", healthy),
		"lb":      {"evaluator-1": started, "evaluator-2": started, "evaluator-3": started},
		"seed":    {"writer": healthy},
		"grafana": {"prometheus": started},
	}
	for _, e := range evaluators {
		want[e] = with(natsHealthy, "writer", started)
	}
	got := map[string]map[string]string{}
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			if got[name] == nil {
				got[name] = map[string]string{}
			}
			got[name][dep] = d.Condition
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("depends_on mismatch (-want +got):\n%s", diff)
	}
}

// TestHardening checks that the services built from static binaries run with a read-only root filesystem
// and no capabilities, and that only the one-shot seed is not restarted.
func TestHardening(t *testing.T) {
	p := loadProject(t, []string{"profile=grafana"})
	static := append(append([]string{"writer", "seed"}, evaluators...), natsNodes...)
	for name, s := range p.Services {
		if slices.Contains(static, name) && (!s.ReadOnly || !slices.Equal(s.CapDrop, []string{"ALL"})) {
			t.Errorf("%s: read_only=%v cap_drop=%v, want a read-only root filesystem and cap_drop [ALL]",
				name, s.ReadOnly, s.CapDrop)
		}
		want := types.RestartPolicyUnlessStopped
		if name == "seed" {
			want = types.RestartPolicyNo
		}
		if s.Restart != want {
			t.Errorf("%s: restart = %q, want %q", name, s.Restart, want)
		}
	}
}

// TestMounts checks that every configuration file is mounted where its service reads it, and that data
// lives in declared named volumes.
func TestMounts(t *testing.T) {
	p := loadProject(t, []string{"profile=grafana"})
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	type mount struct {
		Type, Source, Target string
		ReadOnly             bool
	}
	bind := func(src, dst string) mount { return mount{types.VolumeTypeBind, filepath.Join(root, src), dst, true} }
	volume := func(src, dst string) mount { return mount{types.VolumeTypeVolume, src, dst, false} }
	want := map[string][]mount{
		"postgres": {volume("pgdata", "/var/lib/postgresql/data")},
		"lb":       {bind("infra/haproxy/haproxy.cfg", "/etc/haproxy/haproxy.cfg")},
		"prometheus": {bind("infra/prometheus", "/etc/prometheus"),
			volume("prometheus-data", "/prometheus")},
		"grafana": {bind("infra/grafana/provisioning", "/etc/grafana/provisioning"),
			bind("infra/grafana/dashboards", "/var/lib/grafana/dashboards"), volume("grafana-data", "/var/lib/grafana")},
	}
	for _, n := range natsNodes {
		want[n] = []mount{bind("infra/nats/cluster.conf", "/etc/nats/cluster.conf"), volume(n+"-data", "/data")}
	}
	got := map[string][]mount{}
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			got[name] = append(got[name], mount{v.Type, v.Source, v.Target, v.ReadOnly})
			if _, err := os.Stat(v.Source); v.Type == types.VolumeTypeBind && err != nil {
				t.Errorf("%s: bind mount source: %v", name, err)
			}
			if _, ok := p.Volumes[v.Source]; v.Type == types.VolumeTypeVolume && !ok {
				t.Errorf("%s: volume %q is not declared at the top level", name, v.Source)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("volumes mismatch (-want +got):\n%s", diff)
	}
	for _, n := range natsNodes {
		if diff := cmp.Diff(types.ShellCommand{"-c", "/etc/nats/cluster.conf"}, service(t, p, n).Command); diff != "" {
			t.Errorf("%s command mismatch (-want +got):\n%s", n, diff)
		}
	}
}
