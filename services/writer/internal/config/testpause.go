package config

import (
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
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
	if !loopbackAddr(c.Addr) || !loopbackNATS(c.NATS.URL) {
		return errors.New("HALYARD_TEST_PAUSE_AT is for tests only: it needs WRITER_ADDR and NATS_URL on loopback")
	}
	return nil
}

// loopbackAddr: a listen address on a loopback interface (":8080" listens on every interface).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && loopbackHost(host)
}

// loopbackNATS: every server of a NATS URL list is on loopback.
func loopbackNATS(urls string) bool {
	for _, u := range strings.Split(urls, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || !loopbackHost(p.Hostname()) {
			return false
		}
	}
	return true
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
