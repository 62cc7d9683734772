package publisher

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPauseAtEachStep: the PauseAt hook, where fault tests kill the writer, stops where its name says: after
// the commit nothing is on the stream and the outbox row is pending; after the acknowledgement the stream
// holds the version and the row is still pending; after the mark the row is marked.
func TestPauseAtEachStep(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	url := newDatabase(t)
	for _, tc := range []struct {
		step              string
		onStream, pending bool
	}{
		{StepAfterCommit, false, true},
		{StepAfterPuback, true, true},
		{StepAfterMark, true, false},
	} {
		t.Run(tc.step, func(t *testing.T) {
			paused := make(chan seen, 16)
			db := openDB(t, url)
			w := newWriter(t, url, js, nil, PauseAt(tc.step, func(_ context.Context, step string, envID, v int64) {
				paused <- seen{Step: step, Environment: envID, Version: v,
					OnStream: lastStored(t, js, envID).Version == v, PendingOutbox: readOutbox(t, db, envID).Pending > 0}
			})).run(t)
			env := newEnvironment(t, w.db)
			version := addFlag(t, w.db, env)
			want := seen{Step: tc.step, Environment: env, Version: version, OnStream: tc.onStream, PendingOutbox: tc.pending}
			got := waitPause(t, paused, version)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("state at the pause mismatch (-want +got):\n%s", diff)
			}
			waitPublished(t, js, w.db, env, version)
		})
	}
}

// seen is the state of a publish at a pause.
type seen struct {
	Step          string
	Environment   int64
	Version       int64
	OnStream      bool
	PendingOutbox bool
}

// waitPause returns the first pause at version, failing the test after 15 seconds.
func waitPause(tb testing.TB, paused <-chan seen, version int64) seen {
	tb.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case got := <-paused:
			if got.Version == version {
				return got
			}
		case <-timeout:
			tb.Fatalf("no pause at v%d after 15s", version)
		}
	}
}
