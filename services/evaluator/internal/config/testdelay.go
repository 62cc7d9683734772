package config

import (
	"errors"
	"time"

	"github.com/halyard-flags/halyard/shared/natsconn"
)

// MaxMinVersionWait bounds HALYARD_MIN_VERSION_WAIT: a request holds its connection that long at most.
const MaxMinVersionWait = 30 * time.Second

// validateTestApplyDelay refuses HALYARD_TEST_APPLY_DELAY in a configuration that looks like production. The
// delay exists so that tests can hold one evaluator behind the others (read-your-writes); a replica serving
// real traffic must never lag on purpose. Loopback-only is the line: an evaluator listening on every
// interface, or following a NATS server elsewhere, is refused.
func (c Config) validateTestApplyDelay() error {
	if c.TestApplyDelay == 0 {
		return nil
	}
	if c.TestApplyDelay < 0 {
		return errors.New("HALYARD_TEST_APPLY_DELAY must not be negative")
	}
	if !natsconn.OnLoopback(c.Addr, c.NATS.URL) {
		return errors.New("HALYARD_TEST_APPLY_DELAY is for tests only: it needs EVALUATOR_ADDR and NATS_URL on loopback")
	}
	return nil
}
