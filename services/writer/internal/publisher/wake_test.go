package publisher

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/wire"
)

// TestNotifiedByAnotherWriter: a writer whose publisher is not running has another writer publish its
// changes through NOTIFY, also after the other writer's listening connection was killed and came back.
// B polls once an hour, so only a notification can wake it.
func TestNotifiedByAnotherWriter(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	url := newDatabase(t)
	a := newWriter(t, url, js, nil)
	a.notify(t)
	b := newWriter(t, url, js, nil, PollInterval(time.Hour)).run(t)
	listener := waitListening(t, b.db, 0)

	env := newEnvironment(t, a.db)
	waitPublished(t, js, a.db, env, addFlag(t, a.db, env))

	var killed bool
	if err := b.db.Pool.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, listener).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the listening connection %d: %v %v", listener, killed, err)
	}
	waitListening(t, b.db, listener)
	waitPublished(t, js, a.db, env, addFlag(t, a.db, env))
}

// waitListening waits until a connection other than old LISTENs on the outbox channel, and returns its pid.
func waitListening(tb testing.TB, db *postgres.DB, old int32) int32 {
	tb.Helper()
	var pid int32
	waitFor(tb, "a listening connection", func() error {
		return db.Pool.QueryRow(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN '||$1 AND pid <> $2`, postgres.OutboxChannel, old).Scan(&pid)
	})
	return pid
}

// TestLockedEnvironment: while another writer holds an environment's publish lock, the publisher leaves the
// environment alone, and publishes it once the lock is released.
func TestLockedEnvironment(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	url := newDatabase(t)
	spy := &spyOutbox{}
	w := newWriter(t, url, js, spy).run(t)
	env := newEnvironment(t, w.db)
	before := waitPublished(t, js, w.db, env, addFlag(t, w.db, env))

	holding, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	other := postgres.NewOutbox(openDB(t, url))
	go func() {
		_, _, err := other.Publish(context.Background(), testStream.Name, env, func(_ *wire.Snapshot, _ []map[string]string, seq uint64, version int64) (uint64, int64, error) {
			close(holding)
			<-release
			return seq, version, nil
		})
		held <- err
	}()
	<-holding
	version := addFlag(t, w.db, env)
	waitFor(t, "the publisher to find the environment locked", func() error {
		if spy.busy.Load() == 0 {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	if got := lastStored(t, js, env); got.Seq != before.Seq {
		t.Errorf("published v%d while another writer held the lock", got.Version)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	waitPublished(t, js, w.db, env, version)
}
