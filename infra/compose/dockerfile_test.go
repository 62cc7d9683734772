package compose

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const dockerDir = repoRoot + "/infra/docker"

// dockerfile is a parsed Dockerfile: the ARGs before the first FROM with their defaults, and the build
// stages, each starting at its FROM line. Comments and blank lines are dropped and continuation lines
// joined, so instructions can be compared as single lines.
type dockerfile struct {
	args   map[string]string
	stages [][]string
}

func parseDockerfile(tb testing.TB, name string) dockerfile {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(dockerDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	df := dockerfile{args: map[string]string{}}
	var cont string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cont += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, cont = strings.Join(strings.Fields(cont+line), " "), ""
		if strings.HasPrefix(line, "FROM ") {
			df.stages = append(df.stages, nil)
		}
		if len(df.stages) == 0 {
			arg, ok := strings.CutPrefix(line, "ARG ")
			if !ok {
				tb.Fatalf("%s: %q before the first FROM", name, line)
			}
			k, v, _ := strings.Cut(arg, "=")
			df.args[k] = v
			continue
		}
		df.stages[len(df.stages)-1] = append(df.stages[len(df.stages)-1], line)
	}
	if len(df.stages) == 0 {
		tb.Fatalf("%s: no FROM", name)
	}
	return df
}

func (df dockerfile) final() []string { return df.stages[len(df.stages)-1] }

// from returns the image each stage starts from with the ARG defaults substituted, and the stage's name.
func (df dockerfile) from() (images, names []string) {
	re := regexp.MustCompile(`^FROM (\S+)(?: AS (\S+))?$`)
	for _, st := range df.stages {
		m := re.FindStringSubmatch(st[0])
		if m == nil {
			return nil, nil
		}
		images = append(images, os.Expand(m[1], func(k string) string { return df.args[k] }))
		names = append(names, m[2])
	}
	return images, names
}

func dockerfiles(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dockerDir, "*.Dockerfile"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no Dockerfiles in %s (%v)", dockerDir, err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	return names
}

// TestDockerfilesPullNothing checks that, with their default build arguments, the images build where no
// registry can be reached: every stage starts from scratch, from an image `make images` made (halyard/…)
// or from an earlier stage, and no syntax directive makes BuildKit fetch a frontend image.
// compile.Dockerfile is the one meant for machines with a registry.
func TestDockerfilesPullNothing(t *testing.T) {
	for _, name := range dockerfiles(t) {
		if name == "compile.Dockerfile" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(filepath.Join(dockerDir, name))
			if regexp.MustCompile(`(?mi)^#\s*syntax\s*=`).Match(data) {
				t.Error("has a syntax directive: BuildKit would pull its frontend image")
			}
			images, names := parseDockerfile(t, name).from()
			if images == nil {
				t.Fatal("a FROM line is not `FROM image [AS name]`")
			}
			for i, img := range images {
				if img != "scratch" && !strings.HasPrefix(img, "halyard/") && !slices.Contains(names[:i], img) {
					t.Errorf("stage %d starts FROM %q by default, which would be pulled", i, img)
				}
			}
		})
	}
}

func TestStaticBinaryImages(t *testing.T) {
	tests := []struct {
		binary, ports, startPeriod string
	}{
		{"writer", "8080 9090", "20s"},
		{"evaluator", "8081 9090", "10s"},
	}
	for _, tt := range tests {
		t.Run(tt.binary, func(t *testing.T) {
			df := parseDockerfile(t, tt.binary+".Dockerfile")
			if diff := cmp.Diff(map[string]string{"BINARIES": "halyard/binaries:latest", "BASE": "scratch"}, df.args); diff != "" {
				t.Errorf("build arguments mismatch (-want +got):\n%s", diff)
			}
			want := []string{
				"FROM ${BASE}",
				"ARG VERSION=dev",
				"LABEL org.opencontainers.image.title=halyard-" + tt.binary + " org.opencontainers.image.version=$VERSION",
				"COPY --from=binaries /" + tt.binary + " /" + tt.binary,
				"USER 65532:65532",
				"EXPOSE " + tt.ports,
				"HEALTHCHECK --interval=10s --timeout=3s --start-period=" + tt.startPeriod +
					` --retries=3 CMD ["/` + tt.binary + `", "-healthcheck"]`,
				`ENTRYPOINT ["/` + tt.binary + `"]`,
			}
			if diff := cmp.Diff(want, df.final()); diff != "" {
				t.Errorf("final stage mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNonRoot checks that no image runs as root: those FROM scratch as uid 65532, the Debian-based ones as
// their package's own user.
func TestNonRoot(t *testing.T) {
	for _, name := range dockerfiles(t) {
		if name == "compile.Dockerfile" || name == "binaries.Dockerfile" {
			continue // these only carry files for the others
		}
		t.Run(name, func(t *testing.T) {
			var user string
			for _, l := range parseDockerfile(t, name).final() {
				if u, ok := strings.CutPrefix(l, "USER "); ok {
					user = u
				}
			}
			if user == "" || user == "root" || user == "0" || strings.HasPrefix(user, "0:") {
				t.Errorf("final USER %q, want a user that is not root", user)
			}
		})
	}
}

// healthcheckCmd is the command of the final stage's HEALTHCHECK (nil when none).
func healthcheckCmd(tb testing.TB, df dockerfile) []string {
	tb.Helper()
	for _, l := range df.final() {
		if !strings.HasPrefix(l, "HEALTHCHECK ") {
			continue
		}
		_, cmd, ok := strings.Cut(l, " CMD ")
		var out []string
		if err := json.Unmarshal([]byte(cmd), &out); !ok || err != nil {
			tb.Fatalf("HEALTHCHECK %q: want the exec form, CMD [...]", l)
		}
		return out
	}
	return nil
}

// TestComposeMatchesDockerfiles checks that the compose file and the images agree: each halyard/NAME image
// has infra/docker/NAME.Dockerfile, which build-images.sh builds; the compose health check runs the same
// command as the image's; and every port the service listens on or publishes is one the image exposes.
func TestComposeMatchesDockerfiles(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(dockerDir, "build-images.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range loadProject(t, nil).Services {
		image, ok := strings.CutPrefix(s.Image, "halyard/")
		if !ok {
			continue
		}
		image, _, _ = strings.Cut(image, ":")
		t.Run(name, func(t *testing.T) {
			if !regexp.MustCompile(`\b` + image + `\b`).Match(script) {
				t.Errorf("build-images.sh does not build halyard/%s", image)
			}
			df := parseDockerfile(t, image+".Dockerfile")
			if s.HealthCheck != nil {
				if diff := cmp.Diff(healthcheckCmd(t, df), []string(s.HealthCheck.Test[1:])); diff != "" {
					t.Errorf("health check differs from the image's (-image +compose):\n%s", diff)
				}
			}
			var expose []string
			for _, l := range df.final() {
				if e, ok := strings.CutPrefix(l, "EXPOSE "); ok {
					expose = append(expose, strings.Fields(e)...)
				}
			}
			for k, v := range s.Environment {
				if port, ok := strings.CutPrefix(deref(v), ":"); ok && strings.HasSuffix(k, "_ADDR") && !slices.Contains(expose, port) {
					t.Errorf("%s=%s, but the image exposes %v", k, deref(v), expose)
				}
			}
			for _, p := range s.Ports {
				if !slices.Contains(expose, itoa(p.Target)) {
					t.Errorf("container port %d is published, but the image exposes %v", p.Target, expose)
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
