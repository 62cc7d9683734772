package natssub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publishCatalog puts the writers' catalog on the stream.
func publishCatalog(tb testing.TB, js jetstream.JetStream, versions map[int64]int64) {
	tb.Helper()
	data, err := wire.EncodeCatalog(&wire.Catalog{Format: wire.FormatVersion, Versions: versions})
	if err != nil {
		tb.Fatal(err)
	}
	msg := nats.NewMsg(testPrefix + "." + wire.CatalogSubject)
	msg.Data = data
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}

// TestReadyOnlyWithEveryCataloguedEnvironment: a follower that caught up with the stream is not ready while
// the catalog lists an environment it does not hold, or holds older than catalogued; Missing names them. It
// becomes ready once they arrive. Before the catalog, it reported ready with environments missing.
func TestReadyOnlyWithEveryCataloguedEnvironment(t *testing.T) {
	js := connect(t, port(startNATS(t, -1)))
	createStream(t, js)
	publish(t, js, snapshot(1, 3))
	publish(t, js, snapshot(2, 1))
	publishCatalog(t, js, map[int64]int64{1: 3, 2: 2, 3: 1})
	f := follow(t, js)
	waitCond(t, "the follower to hold environments 1 and 2", func() error {
		if got := f.versions(); len(got) != 2 {
			return fmt.Errorf("holds %v", got)
		}
		return nil
	})
	if f.CaughtUp.Load() {
		t.Fatal("ready while environments 2 (v1 of v2) and 3 are missing")
	}
	if diff := cmp.Diff([]int64{2, 3}, f.Missing()); diff != "" {
		t.Errorf("Missing mismatch (-want +got):\n%s", diff)
	}
	publish(t, js, snapshot(2, 2))
	publish(t, js, snapshot(3, 1))
	waitCond(t, "the follower to be ready", func() error {
		if !f.CaughtUp.Load() {
			return fmt.Errorf("not ready; missing %v", f.Missing())
		}
		return nil
	})
	if got := f.Missing(); len(got) != 0 {
		t.Errorf("Missing = %v; want none", got)
	}
}

// TestReadyWithoutCatalog: a stream no writer published a catalog on (an older writer) makes the follower
// ready once caught up, as before.
func TestReadyWithoutCatalog(t *testing.T) {
	js := connect(t, port(startNATS(t, -1)))
	createStream(t, js)
	publish(t, js, snapshot(1, 1))
	f := follow(t, js)
	waitCond(t, "the follower to be ready", func() error {
		if !f.CaughtUp.Load() {
			return fmt.Errorf("not ready")
		}
		return nil
	})
}

// waitCond polls cond until it returns nil, failing the test with its last error after 10 seconds.
func waitCond(tb testing.TB, what string, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
