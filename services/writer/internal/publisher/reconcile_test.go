package publisher

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReconcileFreshStream: a writer started on a kept database with a fresh JetStream store (a lost volume)
// republishes every environment at its current version without any edit, and counts each as missing.
func TestReconcileFreshStream(t *testing.T) {
	url := newDatabase(t)
	first := startNATS(t)
	w := newWriter(t, url, first.connect(t), nil).run(t)
	want := map[int64]int64{}
	for range 3 {
		env := newEnvironment(t, w.db)
		want[env] = addFlag(t, w.db, env)
		waitPublished(t, first.connect(t), w.db, env, want[env])
	}
	w.cancel()
	<-w.done

	fresh := startNATS(t)
	js := fresh.connect(t)
	obs := &recorder{}
	w2 := newWriter(t, url, js, nil, PollInterval(time.Hour), Observe(obs)).run(t)
	for env, version := range want {
		waitPublished(t, js, w2.db, env, version)
	}
	if diff := cmp.Diff(map[string]int{RecoveredMissing: len(want)}, obs.recoveries()); diff != "" {
		t.Errorf("recoveries mismatch (-want +got):\n%s", diff)
	}
}

// TestReconcileRunning: while a writer runs, a purged stream is refilled, a deleted stream re-created and
// refilled, and an older version on a subject replaced, each within the reconcile interval and without any
// edit (the outbox poll is an hour away: only the reconciler can notice).
func TestReconcileRunning(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	w := newWriter(t, newDatabase(t), js, nil, PollInterval(time.Hour), ReconcileInterval(200*time.Millisecond)).run(t)
	env := newEnvironment(t, w.db)
	addFlag(t, w.db, env)
	version := addFlag(t, w.db, env)
	waitPublished(t, js, w.db, env, version)
	ctx := context.Background()
	tests := []struct {
		name  string
		fault func(t *testing.T)
	}{
		{name: "purged stream", fault: func(t *testing.T) {
			st, err := js.Stream(ctx, testStream.Name)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Purge(ctx); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "deleted stream", fault: func(t *testing.T) {
			if err := js.DeleteStream(ctx, testStream.Name); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "older version", fault: func(t *testing.T) { publishOutOfBand(t, js, env, version-1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fault(t)
			waitFor(t, fmt.Sprintf("environment %d v%d back on the stream", env, version), func() error {
				if _, err := js.Stream(ctx, testStream.Name); err != nil {
					return err
				}
				if got := lastStored(t, js, env); got.Version != version || got.Snapshot != version {
					return fmt.Errorf("stream holds %+v", got)
				}
				return nil
			})
		})
	}
}
