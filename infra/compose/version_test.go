package compose

import (
	"os/exec"
	"strings"
	"testing"
)

// checkVersions checks that the writer and evaluator images report, with -version, the version their
// label records: the binaries were linked with the Makefile's version settings.
func checkVersions(tb testing.TB, tag string) {
	tb.Helper()
	for _, binary := range []string{"writer", "evaluator"} {
		image := "halyard/" + binary + ":" + tag
		label, err := exec.Command("docker", "inspect", "--format",
			`{{index .Config.Labels "org.opencontainers.image.version"}}`, image).Output()
		if err != nil {
			tb.Fatalf("docker inspect %s: %v", image, err)
		}
		out, err := exec.Command("docker", "run", "--rm", image, "-version").CombinedOutput()
		if err != nil {
			tb.Fatalf("%s -version: %v: %s", image, err, out)
		}
		if v := strings.TrimSpace(string(label)); v == "" || !strings.Contains(string(out), v) {
			tb.Errorf("%s -version printed %q, want the version of its label, %q", image, strings.TrimSpace(string(out)), v)
		}
	}
}
