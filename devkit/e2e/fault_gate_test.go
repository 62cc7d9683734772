package e2e

import (
	"os"
	"testing"
)

// slowFault skips a slow fault test unless HALYARD_FAULTS=all (make test-faults sets it): make test runs
// the fast ones only.
func slowFault(tb testing.TB) {
	tb.Helper()
	if os.Getenv("HALYARD_FAULTS") != "all" {
		tb.Skip("a slow fault test: HALYARD_FAULTS=all (make test-faults) runs it")
	}
}
