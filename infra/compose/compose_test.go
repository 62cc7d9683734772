package compose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
)

// repoRoot is the compose project's directory, relative to this package.
const repoRoot = "../.."

// loadProject loads docker-compose.yml as `docker compose` would, with env as the only environment so that
// the result does not depend on the machine running the test.
func loadProject(tb testing.TB, env ...string) *types.Project {
	tb.Helper()
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithWorkingDirectory(repoRoot),
		cli.WithEnv(env),
	)
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

func TestServices(t *testing.T) {
	p := loadProject(t)
	want := []string{"evaluator-1", "evaluator-2", "nats", "postgres", "writer"}
	got := p.ServiceNames()
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("services mismatch (-want +got):\n%s", diff)
	}

	var evaluators int
	for _, s := range p.Services {
		if s.Build != nil && strings.HasSuffix(s.Build.Dockerfile, "evaluator.Dockerfile") {
			evaluators++
		}
	}
	if evaluators < 2 {
		t.Errorf("%d services build the evaluator, want at least 2 (the cluster shows replicas agreeing)", evaluators)
	}
}

func TestPublishedPorts(t *testing.T) {
	p := loadProject(t)
	tests := []struct {
		service string
		want    []string // "published:target"
	}{
		{"postgres", nil},
		{"nats", []string{"4222:4222", "8222:8222"}},
		{"writer", []string{"8080:8080"}},
		{"evaluator-1", []string{"8081:8081"}},
		{"evaluator-2", []string{"8082:8081"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			var got []string
			for _, port := range service(t, p, tt.service).Ports {
				got = append(got, port.Published+":"+strconv.FormatUint(uint64(port.Target), 10))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ports mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealthchecks(t *testing.T) {
	p := loadProject(t)
	tests := []struct {
		service string
		want    types.HealthCheckTest
	}{
		{"postgres", types.HealthCheckTest{"CMD", "pg_isready", "-U", "halyard"}},
		{"nats", types.HealthCheckTest{"CMD", "wget", "-q", "-O-", "http://127.0.0.1:8222/healthz?js-enabled-only=true"}},
		{"writer", types.HealthCheckTest{"CMD", "/writer", "-healthcheck"}},
		{"evaluator-1", types.HealthCheckTest{"CMD", "/evaluator", "-healthcheck"}},
		{"evaluator-2", types.HealthCheckTest{"CMD", "/evaluator", "-healthcheck"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			hc := service(t, p, tt.service).HealthCheck
			if hc == nil || hc.Disable {
				t.Fatal("no healthcheck")
			}
			if diff := cmp.Diff(tt.want, hc.Test); diff != "" {
				t.Errorf("healthcheck test mismatch (-want +got):\n%s", diff)
			}
			if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
				t.Errorf("healthcheck needs interval, timeout and retries; got interval=%v timeout=%v retries=%v",
					hc.Interval, hc.Timeout, hc.Retries)
			}
		})
	}
}

func TestDependsOn(t *testing.T) {
	p := loadProject(t)
	healthy, started := types.ServiceConditionHealthy, types.ServiceConditionStarted
	tests := []struct {
		service string
		want    map[string]string
	}{
		{"postgres", nil},
		{"nats", nil},
		{"writer", map[string]string{"postgres": healthy, "nats": healthy}},
		{"evaluator-1", map[string]string{"nats": healthy, "writer": started}},
		{"evaluator-2", map[string]string{"nats": healthy, "writer": started}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			var got map[string]string
			for name, dep := range service(t, p, tt.service).DependsOn {
				if got == nil {
					got = map[string]string{}
				}
				got[name] = dep.Condition
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("depends_on mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	str := func(s string) *string { return &s }
	const dbURL = "postgres://halyard:halyard@postgres:5432/halyard?sslmode=disable"
	tests := []struct {
		name    string
		env     []string
		service string
		want    types.MappingWithEquals
	}{
		{
			name:    "writer with token from the environment",
			env:     []string{"HALYARD_ADMIN_TOKEN=s3cret"},
			service: "writer",
			want: types.MappingWithEquals{
				"DATABASE_URL":        str(dbURL),
				"NATS_URL":            str("nats://nats:4222"),
				"WRITER_ADDR":         str(":8080"),
				"HALYARD_ADMIN_TOKEN": str("s3cret"),
			},
		},
		{
			name:    "writer with the default dev token",
			service: "writer",
			want: types.MappingWithEquals{
				"DATABASE_URL":        str(dbURL),
				"NATS_URL":            str("nats://nats:4222"),
				"WRITER_ADDR":         str(":8080"),
				"HALYARD_ADMIN_TOKEN": str("halyard-dev-admin-token"),
			},
		},
		{
			name:    "evaluator-1",
			service: "evaluator-1",
			want:    types.MappingWithEquals{"NATS_URL": str("nats://nats:4222"), "EVALUATOR_ADDR": str(":8081")},
		},
		{
			name:    "evaluator-2",
			service: "evaluator-2",
			want:    types.MappingWithEquals{"NATS_URL": str("nats://nats:4222"), "EVALUATOR_ADDR": str(":8081")},
		},
		{
			name:    "postgres",
			service: "postgres",
			want: types.MappingWithEquals{
				"POSTGRES_USER": str("halyard"), "POSTGRES_PASSWORD": str("halyard"), "POSTGRES_DB": str("halyard"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := service(t, loadProject(t, tt.env...), tt.service).Environment
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("environment mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRestartPolicy(t *testing.T) {
	p := loadProject(t)
	for _, name := range []string{"writer", "evaluator-1", "evaluator-2"} {
		if got := service(t, p, name).Restart; got != types.RestartPolicyUnlessStopped {
			t.Errorf("%s: restart = %q, want %q", name, got, types.RestartPolicyUnlessStopped)
		}
	}
}

// TestBuilds checks that every built service builds from the repository root with a Dockerfile that exists,
// so `docker compose build` cannot fail on a path.
func TestBuilds(t *testing.T) {
	p := loadProject(t)
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		service    string
		dockerfile string
	}{
		{"writer", "infra/docker/writer.Dockerfile"},
		{"evaluator-1", "infra/docker/evaluator.Dockerfile"},
		{"evaluator-2", "infra/docker/evaluator.Dockerfile"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			b := service(t, p, tt.service).Build
			if b == nil {
				t.Fatal("no build section")
			}
			if b.Context != root {
				t.Errorf("build context = %q, want the repository root %q (go.work lives there)", b.Context, root)
			}
			dockerfile := b.Dockerfile
			if !filepath.IsAbs(dockerfile) {
				dockerfile = filepath.Join(b.Context, dockerfile)
			}
			if want := filepath.Join(root, tt.dockerfile); dockerfile != want {
				t.Errorf("dockerfile = %q, want %q", dockerfile, want)
			}
			if _, err := os.Stat(dockerfile); err != nil {
				t.Errorf("dockerfile: %v", err)
			}
		})
	}
}

// TestMounts checks that the NATS config and the data directories are mounted where the services expect them.
func TestMounts(t *testing.T) {
	p := loadProject(t)
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	type mount struct{ Type, Source, Target string }
	tests := []struct {
		service string
		want    []mount
	}{
		{"postgres", []mount{{types.VolumeTypeVolume, "pgdata", "/var/lib/postgresql/data"}}},
		{"nats", []mount{
			{types.VolumeTypeBind, filepath.Join(root, "infra/nats/nats.conf"), "/etc/nats/nats.conf"},
			{types.VolumeTypeVolume, "natsdata", "/data"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			var got []mount
			for _, v := range service(t, p, tt.service).Volumes {
				got = append(got, mount{v.Type, v.Source, v.Target})
				if v.Type == types.VolumeTypeBind {
					if _, err := os.Stat(v.Source); err != nil {
						t.Errorf("bind mount source: %v", err)
					}
				}
				if v.Type == types.VolumeTypeVolume {
					if _, ok := p.Volumes[v.Source]; !ok {
						t.Errorf("volume %q is not declared at the top level", v.Source)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("volumes mismatch (-want +got):\n%s", diff)
			}
		})
	}

	nats := service(t, p, "nats")
	if diff := cmp.Diff(types.ShellCommand{"-c", "/etc/nats/nats.conf"}, nats.Command); diff != "" {
		t.Errorf("nats command mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(nats.Image, "-alpine") {
		t.Errorf("nats image = %q, want an alpine variant: the healthcheck runs wget", nats.Image)
	}
}
