package publisher

import (
	"context"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
)

// TestUnreadableLastMessage: whatever lands on an environment's subject behind the writer's back (garbage, a
// truncated snapshot, a snapshot without or with a wrong Halyard-Version header, another environment's
// snapshot), the next change of the environment is published over it, and the repair is counted once.
// Before, the writer refused to publish the environment ever again.
func TestUnreadableLastMessage(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	obs := &recorder{}
	w := newWriter(t, newDatabase(t), js, nil, Observe(obs)).run(t)
	other := newEnvironment(t, w.db)
	otherSnap := encodeSnapshot(t, &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: other, Version: 99})
	tests := []struct {
		name    string
		data    func(env int64) []byte
		version string // the Halyard-Version header ("" for none)
	}{
		{name: "garbage without headers", data: func(int64) []byte { return []byte("garbage") }},
		{name: "garbage claiming a newer version", data: func(int64) []byte { return []byte{0xc1, 0xc1} }, version: "1000"},
		{name: "truncated snapshot", version: "1000", data: func(env int64) []byte {
			b := encodeSnapshot(t, &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: env, Version: 1000})
			return b[:len(b)/2]
		}},
		{name: "header disagreeing with the snapshot", version: "1000", data: func(env int64) []byte {
			return encodeSnapshot(t, &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: env, Version: 1})
		}},
		{name: "another environment's snapshot", version: "99", data: func(int64) []byte { return otherSnap }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnvironment(t, w.db)
			waitPublished(t, js, w.db, env, addFlag(t, w.db, env))
			msg := nats.NewMsg(testStream.Subject(env))
			msg.Data = tt.data(env)
			if tt.version != "" {
				msg.Header.Set(HeaderVersion, tt.version)
			}
			if _, err := js.PublishMsg(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			version := addFlag(t, w.db, env)
			got := waitPublished(t, js, w.db, env, version)
			if got.Snapshot != version || got.Environment != strconv.FormatInt(env, 10) {
				t.Errorf("stream holds %+v; want environment %d's snapshot v%d", got, env, version)
			}
			if diff := cmp.Diff(i+1, obs.recoveries()[RecoveredUnreadable]); diff != "" {
				t.Errorf("recoveries mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func encodeSnapshot(tb testing.TB, s *wire.Snapshot) []byte {
	tb.Helper()
	b, err := wire.Encode(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
