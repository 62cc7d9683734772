package compose

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stages splits a Dockerfile into its build stages: each element starts at a FROM line. Comments and blank
// lines are dropped and continuation lines joined, so instructions can be compared as single lines.
func stages(tb testing.TB, path string) [][]string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]string
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
		line, cont = cont+line, ""
		if strings.HasPrefix(line, "FROM ") {
			out = append(out, nil)
		}
		if len(out) == 0 {
			tb.Fatalf("%s: instruction before the first FROM: %q", path, line)
		}
		out[len(out)-1] = append(out[len(out)-1], strings.Join(strings.Fields(line), " "))
	}
	return out
}

func hasLine(lines []string, re string) bool {
	r := regexp.MustCompile(re)
	for _, l := range lines {
		if r.MatchString(l) {
			return true
		}
	}
	return false
}

func TestDockerfiles(t *testing.T) {
	tests := []struct {
		binary, pkg, port string
	}{
		{"writer", "./services/writer/cmd/writer", "8080"},
		{"evaluator", "./services/evaluator/cmd/evaluator", "8081"},
	}
	for _, tt := range tests {
		t.Run(tt.binary, func(t *testing.T) {
			st := stages(t, filepath.Join(repoRoot, "infra/docker", tt.binary+".Dockerfile"))
			if len(st) < 2 {
				t.Fatalf("%d stages, want a build stage and a final stage", len(st))
			}
			final := st[len(st)-1]
			build := slices.Concat(st[:len(st)-1]...)

			if !hasLine(build, `^FROM golang:1\.26-bookworm\b`) {
				t.Error("no build stage FROM golang:1.26-bookworm")
			}
			goBuild := `go build -trimpath -ldflags="-s -w" -o /out/` + tt.binary + ` ` + tt.pkg
			if !hasLine(build, regexp.QuoteMeta(goBuild)+`$`) {
				t.Errorf("no RUN with %q", goBuild)
			}
			if !hasLine(build, `^ENV .*\bCGO_ENABLED=0\b`) {
				t.Error("CGO_ENABLED=0 is not set: the binary must be static for distroless/static")
			}
			if !hasLine(build, `^COPY go\.work `) && !hasLine(build, `^COPY \. \.$`) {
				t.Error("go.work is never copied: the build must use the committed workspace")
			}

			want := []string{
				"FROM gcr.io/distroless/static-debian12:nonroot",
				"COPY --from=build /out/" + tt.binary + " /" + tt.binary,
				"USER nonroot",
				"EXPOSE " + tt.port,
				`HEALTHCHECK --interval=10s --timeout=3s --start-period=` + startPeriod(final) +
					` --retries=3 CMD ["/` + tt.binary + `", "-healthcheck"]`,
				`ENTRYPOINT ["/` + tt.binary + `"]`,
			}
			if diff := cmp.Diff(want, final); diff != "" {
				t.Errorf("final stage mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// startPeriod lets each image choose its own start period while the rest of the HEALTHCHECK line is fixed.
func startPeriod(lines []string) string {
	m := regexp.MustCompile(`--start-period=(\S+)`)
	for _, l := range lines {
		if s := m.FindStringSubmatch(l); s != nil {
			return s[1]
		}
	}
	return "?"
}

// TestComposeMatchesDockerfiles checks that the compose file and the images agree: the healthcheck runs the
// binary the image installs, and the container port is the one the image exposes and the service listens on.
func TestComposeMatchesDockerfiles(t *testing.T) {
	p := loadProject(t)
	tests := []struct{ service, binary, addrVar string }{
		{"writer", "writer", "WRITER_ADDR"},
		{"evaluator-1", "evaluator", "EVALUATOR_ADDR"},
		{"evaluator-2", "evaluator", "EVALUATOR_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := service(t, p, tt.service)
			final := stages(t, filepath.Join(repoRoot, "infra/docker", tt.binary+".Dockerfile"))
			var expose string
			for _, l := range final[len(final)-1] {
				if e, ok := strings.CutPrefix(l, "EXPOSE "); ok {
					expose = e
				}
			}
			addr := s.Environment[tt.addrVar]
			if addr == nil || *addr != ":"+expose {
				t.Errorf("%s = %v, want %q (the port the image exposes)", tt.addrVar, addr, ":"+expose)
			}
			for _, port := range s.Ports {
				if got := strconv.FormatUint(uint64(port.Target), 10); got != expose {
					t.Errorf("container port %s, but the image exposes %s", got, expose)
				}
			}
			if s.HealthCheck == nil || len(s.HealthCheck.Test) < 2 || s.HealthCheck.Test[1] != "/"+tt.binary {
				t.Errorf("healthcheck does not run /%s", tt.binary)
			}
		})
	}
}
