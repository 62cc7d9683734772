package config

import (
	"errors"
	"slices"
	"strings"

	"github.com/halyard-flags/halyard/shared/natsconn"
)

// TestPauseSteps are the points of commit → publish → mark where HALYARD_TEST_PAUSE_AT stops the publisher:
// a change committed and its snapshot read, not yet published; the snapshot acknowledged by the stream, its
// outbox rows not yet marked; the rows marked.
var TestPauseSteps = []string{"after-commit", "after-puback", "after-mark"}

// validateTestPauseAt refuses HALYARD_TEST_PAUSE_AT unless it names a step and the writer looks like a test's:
// the pause exists so that a fault test can SIGKILL the writer at a known point, and a writer serving real
// admins must never stop publishing on purpose. Loopback-only is the line, as for the evaluator's
// HALYARD_TEST_APPLY_DELAY: a writer listening on every interface, or publishing to a NATS server elsewhere,
// is refused.
func (c Config) validateTestPauseAt() error {
	if c.TestPauseAt == "" {
		return nil
	}
	if !slices.Contains(TestPauseSteps, c.TestPauseAt) {
		return errors.New("HALYARD_TEST_PAUSE_AT must be " + strings.Join(TestPauseSteps, ", ") + " or empty")
	}
	if !natsconn.OnLoopback(c.Addr, c.NATS.URL) {
		return errors.New("HALYARD_TEST_PAUSE_AT is for tests only: it needs WRITER_ADDR and NATS_URL on loopback")
	}
	return nil
}
