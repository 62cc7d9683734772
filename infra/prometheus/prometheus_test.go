package prometheus

import (
	"os/exec"
	"strings"
	"testing"
)

// promtool returns the path of promtool, failing the test with what to install when it is missing: these
// checks are the only proof that the rules load, so they are not skipped.
func promtool(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		tb.Fatalf("promtool is not installed: it checks Prometheus' configuration and runs the alerts' unit " +
			"tests. Install Debian's prometheus package (`make test-deps` does: apt-get install " +
			"--no-install-recommends prometheus) or put a promtool of Prometheus 2.42 or later on PATH.")
	}
	return path
}

// runPromtool runs promtool with args in this directory and fails the test with its output if it fails.
func runPromtool(tb testing.TB, args ...string) {
	tb.Helper()
	cmd := exec.Command(promtool(tb), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestPromtoolCheckConfig checks prometheus.yml as Prometheus would load it, rule files included: a file its
// rule_files patterns match that is not a rule file (alerts_test.yml, say) fails here.
func TestPromtoolCheckConfig(t *testing.T) {
	runPromtool(t, "check", "config", "prometheus.yml")
}

// TestPromtoolCheckRules checks alerts.yml's syntax, PromQL and templates.
func TestPromtoolCheckRules(t *testing.T) {
	runPromtool(t, "check", "rules", "alerts.yml")
}

// TestPromtoolTestRules runs the alerts' unit tests: series fed in, each alert asserted firing (labels and
// annotations) and quiet.
func TestPromtoolTestRules(t *testing.T) {
	runPromtool(t, "test", "rules", "alerts_test.yml")
}
