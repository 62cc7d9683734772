package compose

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// haproxySections reads infra/haproxy/haproxy.cfg into its sections ("backend evaluators" → its lines).
func haproxySections(tb testing.TB) map[string][]string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "infra/haproxy/haproxy.cfg"))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]string{}
	var section string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.Join(strings.Fields(line), " ")
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t"):
			section = trimmed
			out[section] = nil
		default:
			out[section] = append(out[section], trimmed)
		}
	}
	return out
}

// TestLoadBalancer checks that HAProxy sends SDK traffic to every evaluator of the compose file, only
// while its /readyz says so, on the port the lb service publishes.
func TestLoadBalancer(t *testing.T) {
	sections := haproxySections(t)
	backend := sections["backend evaluators"]
	var servers []string
	for _, l := range backend {
		if f := strings.Fields(l); f[0] == "server" {
			servers = append(servers, f[1]+" "+f[2])
		}
	}
	var want []string
	for name, s := range loadProject(t, nil).Services {
		if strings.HasPrefix(s.Image, "halyard/evaluator:") {
			want = append(want, name+" "+name+":"+strings.TrimPrefix(deref(s.Environment["EVALUATOR_ADDR"]), ":"))
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, servers); diff != "" {
		t.Errorf("backend servers mismatch (-compose +haproxy.cfg):\n%s", diff)
	}
	for _, l := range []string{"option httpchk GET /readyz", "http-check expect status 200",
		"http-response set-header " + evaluatorHeader + " %s"} {
		if !slices.Contains(backend, l) {
			t.Errorf("backend evaluators lacks %q", l)
		}
	}
	if !slices.ContainsFunc(sections["defaults"], func(l string) bool { return strings.HasPrefix(l, "default-server ") && strings.Contains(l, " check") }) {
		t.Error("servers are not health-checked: no default-server … check in defaults")
	}

	lb := service(t, loadProject(t, nil), "lb")
	binds := map[string]string{"frontend sdk": "bind :8081", "frontend health": "bind :8404", "frontend metrics": "bind :9090"}
	for section, bind := range binds {
		if !slices.Contains(sections[section], bind) {
			t.Errorf("%s lacks %q", section, bind)
		}
	}
	if len(lb.Ports) != 1 || lb.Ports[0].Target != 8081 {
		t.Errorf("lb publishes %v, want container port 8081 (frontend sdk)", lb.Ports)
	}
}
