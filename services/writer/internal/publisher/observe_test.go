package publisher

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go/jetstream"
)

// recorder is an Observer that remembers what it heard.
type recorder struct {
	mu        sync.Mutex
	attempts  int
	failures  map[string]int
	published []Publication
	recovered map[string]int
}

func (r *recorder) Recovered(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.recovered == nil {
		r.recovered = map[string]int{}
	}
	r.recovered[reason]++
}

// recoveries returns how many repairs of each kind the observer heard of.
func (r *recorder) recoveries() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.recovered {
		out[k] = v
	}
	return out
}

func (r *recorder) Attempted() { r.mu.Lock(); r.attempts++; r.mu.Unlock() }

func (r *recorder) Failed(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures == nil {
		r.failures = map[string]int{}
	}
	r.failures[reason]++
}

func (r *recorder) Published(p Publication) {
	r.mu.Lock()
	r.published = append(r.published, p)
	r.mu.Unlock()
}

// lastPublication waits for the observer to hear of the environment at version and returns what it heard.
func (r *recorder) lastPublication(tb testing.TB, envID, version int64) Publication {
	tb.Helper()
	var got Publication
	waitFor(tb, fmt.Sprintf("the observer to hear of environment %d v%d", envID, version), func() error {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, p := range r.published {
			if p.EnvironmentID == envID && p.Version == version {
				got = p
				return nil
			}
		}
		return fmt.Errorf("heard of %d publications", len(r.published))
	})
	return got
}

// TestCommittedAt: a snapshot carries the creation time of the oldest outbox row it publishes (rows
// published before do not count), and the observer hears of it with the same commit time, its size and
// its duration.
func TestCommittedAt(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	obs := &recorder{}
	w := newWriter(t, newDatabase(t), js, nil, Observe(obs))
	env := newEnvironment(t, w.db)
	addFlag(t, w.db, env)
	version := addFlag(t, w.db, env) // three pending rows: the environment's and two flags'
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	setCreatedAt(t, w.db, env, t0.Add(2*time.Second), t0, t0.Add(time.Second))
	w.run(t)
	waitPublished(t, js, w.db, env, version)
	if got := lastCommittedAt(t, js, env); !got.Equal(t0) {
		t.Errorf("first snapshot's CommittedAt = %v; want the oldest pending row's creation, %v", got, t0)
	}
	pub := obs.lastPublication(t, env, version)
	if !pub.CommittedAt.Equal(t0) || pub.Bytes == 0 || pub.Took <= 0 || pub.Acked.Sub(pub.CommittedAt) < time.Minute {
		t.Errorf("observed %+v; want CommittedAt %v, bytes, a duration, and acknowledged a minute or more after the commit", pub, t0)
	}

	t1 := time.Now().Add(-time.Second).Truncate(time.Millisecond)
	version = addFlag(t, w.db, env)
	setCreatedAt(t, w.db, env, t1) // may race the publisher: then the row's own creation time is published
	waitPublished(t, js, w.db, env, version)
	if got := lastCommittedAt(t, js, env); got.Before(t1) {
		t.Errorf("second snapshot's CommittedAt = %v; want the new row's creation, not before %v", got, t1)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	// At least one attempt: two drains of this writer may meet, and the one that finds the environment's
	// publish lock taken makes no attempt while the other publishes every pending change.
	if diff := cmp.Diff(map[string]int(nil), obs.failures); diff != "" || obs.attempts < 1 {
		t.Errorf("%d attempts, failures mismatch (-want +got):\n%s", obs.attempts, diff)
	}
}

// TestObservedFailure: a publish while NATS is down is an attempt that fails for a timeout. (The message may
// still reach the stream from the client's reconnect buffer once NATS is back; the publish after that then
// finds its version there and has nothing to send.)
func TestObservedFailure(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	obs := &recorder{}
	w := newWriter(t, newDatabase(t), js, nil, Observe(obs)).run(t)
	env := newEnvironment(t, w.db)
	waitPublished(t, js, w.db, env, addFlag(t, w.db, env))

	ns.stop()
	version := addFlag(t, w.db, env)
	waitFor(t, "a failure to be observed", func() error {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		if obs.failures[ReasonTimeout] == 0 {
			return fmt.Errorf("failures %v", obs.failures)
		}
		return nil
	})
	ns.start()
	waitPublished(t, js, w.db, env, version)
}

// setCreatedAt sets the creation time of the environment's pending outbox rows, in version order.
func setCreatedAt(tb testing.TB, db *postgres.DB, envID int64, at ...time.Time) {
	tb.Helper()
	_, err := db.Pool.Exec(context.Background(), `UPDATE outbox o SET created_at = t.at
		FROM (SELECT id, row_number() OVER (ORDER BY environment_version) AS n FROM outbox
			WHERE environment_id = $1 AND published_at IS NULL) p, unnest($2::timestamptz[]) WITH ORDINALITY AS t(at, n)
		WHERE o.id = p.id AND p.n = t.n`, envID, at)
	if err != nil {
		tb.Fatal(err)
	}
}

// lastCommittedAt decodes the environment's last snapshot on the stream and returns its CommittedAt.
func lastCommittedAt(tb testing.TB, js jetstream.JetStream, envID int64) time.Time {
	tb.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, testStream.Name)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, testStream.Subject(envID))
	if err != nil {
		tb.Fatal(err)
	}
	snap, err := wire.Decode(m.Data)
	if err != nil {
		tb.Fatal(err)
	}
	return time.UnixMilli(snap.CommittedAt)
}
