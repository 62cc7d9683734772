package publisher

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestPublishAfterCommit: a committed change reaches the stream at once (the poll is an hour away: only the
// after-commit hook can wake the publisher) as the environment's snapshot at its latest version, with the
// routing headers and the de-dup id, and its outbox rows end marked with the publication recorded.
func TestPublishAfterCommit(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	w := newWriter(t, newDatabase(t), js, nil, PollInterval(time.Hour)).run(t)
	for _, flags := range []int{1, 3, 10} {
		t.Run(fmt.Sprintf("%d flags", flags), func(t *testing.T) {
			env := newEnvironment(t, w.db)
			var version int64
			for range flags {
				version = addFlag(t, w.db, env)
			}
			got := waitPublished(t, js, w.db, env, version)
			waitReported(t, w, env, version)
			want := stored{Seq: got.Seq, Version: version, Environment: strconv.FormatInt(env, 10),
				MsgID: fmt.Sprintf("env-%d-v%d", env, version), Snapshot: version, Flags: flags}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored snapshot mismatch (-want +got):\n%s", diff)
			}
			wantOutbox := outboxState{RecordedSeq: got.Seq, RecordedVersion: version}
			if diff := cmp.Diff(wantOutbox, readOutbox(t, w.db, env)); diff != "" {
				t.Errorf("outbox mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCrashBetweenAckAndMark: a writer that dies after the PubAck and before marking leaves the rows pending;
// the next drain publishes nothing new (the stream keeps the one message of that version) and marks them.
func TestCrashBetweenAckAndMark(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	spy := &spyOutbox{crashed: make(chan uint64, 1)}
	w := newWriter(t, newDatabase(t), js, spy).run(t)
	env := newEnvironment(t, w.db)
	waitPublished(t, js, w.db, env, addFlag(t, w.db, env))

	spy.armed.Store(true)
	version := addFlag(t, w.db, env)
	acked := crashedAt(t, spy)
	got := waitPublished(t, js, w.db, env, version)

	want := outboxState{RecordedSeq: acked, RecordedVersion: version}
	if diff := cmp.Diff(want, readOutbox(t, w.db, env)); diff != "" {
		t.Errorf("outbox mismatch (-want +got):\n%s", diff)
	}
	msgs, lastSeq := streamState(t, js)
	if got.Seq != acked || lastSeq != acked || msgs != 1 {
		t.Errorf("stream holds %d messages, last sequence %d, the environment's at %d; want the one acknowledged at %d",
			msgs, lastSeq, got.Seq, acked)
	}
	// A blind retry of the acknowledged publish (e.g. the client's own) is recognised by its de-dup id.
	msg := nats.NewMsg(testStream.Subject(env))
	msg.Data = []byte("retry")
	ack, err := js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(got.MsgID))
	if err != nil {
		t.Fatal(err)
	}
	if !ack.Duplicate || ack.Sequence != acked {
		t.Errorf("retry of %s: duplicate %v at %d; want a duplicate of %d", got.MsgID, ack.Duplicate, ack.Sequence, acked)
	}
}

// TestNewerSequenceFromAnotherWriter: writer B publishes a version and dies before recording it, so writer
// A's record of the subject's last sequence is stale. A's next publish is refused by the expected-sequence
// check; A asks the stream, publishes its newer version after B's, and records it. The stream never goes
// back to an older version. A polls once an hour, so only a recovery within the failed drain publishes.
func TestNewerSequenceFromAnotherWriter(t *testing.T) {
	ns := startNATS(t)
	url := newDatabase(t)
	jsA, jsB := ns.connect(t), ns.connect(t)
	a := newWriter(t, url, jsA, nil, PollInterval(time.Hour)).run(t)
	spy := &spyOutbox{crashed: make(chan uint64, 1)}
	b := newWriter(t, url, jsB, spy, PollInterval(time.Hour)).run(t)
	spy.onCrash = b.cancel
	env := newEnvironment(t, a.db)
	seen := watchVersions(t, jsA, env)
	first := waitPublished(t, jsA, a.db, env, addFlag(t, a.db, env))

	spy.armed.Store(true)
	mid := addFlag(t, b.db, env)
	seqB := crashedAt(t, spy)
	<-b.done
	if got := readOutbox(t, a.db, env); got.RecordedSeq != first.Seq || got.Pending == 0 {
		t.Fatalf("after B's crash the outbox is %+v; want the record at %d and B's rows pending", got, first.Seq)
	}

	last := addFlag(t, a.db, env)
	got := waitPublished(t, jsA, a.db, env, last)
	if got.Seq <= seqB {
		t.Errorf("A published at sequence %d; want after B's %d", got.Seq, seqB)
	}
	want := outboxState{RecordedSeq: got.Seq, RecordedVersion: last}
	if diff := cmp.Diff(want, readOutbox(t, a.db, env)); diff != "" {
		t.Errorf("outbox mismatch (-want +got):\n%s", diff)
	}
	waitFor(t, "the watcher to see the last version", func() error {
		if v := seen(); len(v) == 0 || v[len(v)-1] != last {
			return fmt.Errorf("seen %v", v)
		}
		return nil
	})
	versions := seen()
	for i := 1; i < len(versions); i++ {
		if versions[i] <= versions[i-1] {
			t.Fatalf("the stream went from v%d to v%d: %v", versions[i-1], versions[i], versions)
		}
	}
	if !contains(versions, mid) {
		t.Errorf("versions seen %v; want B's v%d among them", versions, mid)
	}
}

func contains(vs []int64, v int64) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// TestNATSDownThenBack: changes committed while NATS is down stay pending through failed drains, and are
// all published once the server is back on the same port and store.
func TestNATSDownThenBack(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	spy := &spyOutbox{}
	w := newWriter(t, newDatabase(t), js, spy).run(t)
	envs := []int64{newEnvironment(t, w.db), newEnvironment(t, w.db)}
	for _, env := range envs {
		waitPublished(t, js, w.db, env, addFlag(t, w.db, env))
	}

	ns.stop()
	failed := spy.failed.Load()
	want := map[int64]int64{}
	for i, env := range envs {
		for range i + 2 {
			want[env] = addFlag(t, w.db, env)
		}
	}
	waitFor(t, "a drain to fail", func() error {
		if spy.failed.Load() == failed {
			return fmt.Errorf("no failed drain yet")
		}
		return nil
	})
	for _, env := range envs {
		if o := readOutbox(t, w.db, env); o.Pending == 0 || o.RecordedVersion >= want[env] {
			t.Fatalf("environment %d while NATS is down: %+v; want rows pending", env, o)
		}
	}

	ns.start()
	for _, env := range envs {
		got := waitPublished(t, js, w.db, env, want[env])
		if got.Snapshot != want[env] {
			t.Errorf("environment %d: snapshot v%d; want v%d", env, got.Snapshot, want[env])
		}
	}
	if msgs, _ := streamState(t, js); msgs != uint64(len(envs)) {
		t.Errorf("stream holds %d messages; want one per environment (%d)", msgs, len(envs))
	}
}

// TestStaleOutboxRow: a pending row whose version the stream already holds, or something newer than the
// database has, is marked without publishing: the stream never goes back to an older snapshot.
func TestStaleOutboxRow(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	w := newWriter(t, newDatabase(t), js, nil).run(t)
	tests := []struct {
		name  string
		ahead int64 // versions the stream is ahead of the database (published out of band)
	}{
		{name: "row older than the published version"},
		{name: "stream ahead of the database", ahead: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnvironment(t, w.db)
			version := addFlag(t, w.db, env)
			waitPublished(t, js, w.db, env, version)
			reported := waitReported(t, w, env, version)
			wantVersion := version
			if tt.ahead > 0 {
				wantVersion = version + tt.ahead
				publishOutOfBand(t, js, env, wantVersion)
			}
			_, lastSeq := streamState(t, js)

			execSQL(t, w.db, `UPDATE outbox SET published_at = NULL WHERE environment_id = $1 AND environment_version = 1`, env)
			waitFor(t, "the stale row to be marked", func() error {
				if o := readOutbox(t, w.db, env); o.Pending != 0 {
					return fmt.Errorf("%d rows pending", o.Pending)
				}
				return nil
			})
			_, seq := streamState(t, js)
			if got := w.publishedVersions(env); seq != lastSeq || len(got) != len(reported) {
				t.Errorf("the stream moved from sequence %d to %d, versions published %v after %v; want nothing published",
					lastSeq, seq, got[len(reported):], reported)
			}
			want := outboxState{RecordedSeq: lastSeq, RecordedVersion: wantVersion}
			if diff := cmp.Diff(want, readOutbox(t, w.db, env)); diff != "" {
				t.Errorf("outbox mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// waitReported waits until OnPublished reported the environment's version (it is called after the rows
// are marked) and returns the versions reported so far.
func waitReported(tb testing.TB, w *writer, envID, version int64) []int64 {
	tb.Helper()
	var got []int64
	waitFor(tb, fmt.Sprintf("OnPublished(%d, v%d)", envID, version), func() error {
		if got = w.publishedVersions(envID); len(got) == 0 || got[len(got)-1] != version {
			return fmt.Errorf("reported %v", got)
		}
		return nil
	})
	return got
}

// publishOutOfBand puts a snapshot of the environment at version on the stream behind the publisher's back.
func publishOutOfBand(tb testing.TB, js jetstream.JetStream, envID, version int64) {
	tb.Helper()
	data, err := wire.Encode(&wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: envID, Version: version})
	if err != nil {
		tb.Fatal(err)
	}
	msg := nats.NewMsg(testStream.Subject(envID))
	msg.Data = data
	msg.Header.Set(HeaderVersion, strconv.FormatInt(version, 10))
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}
