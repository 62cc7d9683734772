package natssub

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// garbage is not msgpack at all (0xc1 is the one byte msgpack never uses).
var garbage = []byte{0xc1, 'n', 'o', 't', ' ', 'a', ' ', 's', 'n', 'a', 'p', 's', 'h', 'o', 't'}

// TestCatchUp: a follower started on a stream that already holds snapshots applies the last one of every
// environment, and only then reports that it caught up; a last message it cannot read does not stop it.
func TestCatchUp(t *testing.T) {
	tests := []struct {
		name        string
		publish     func(testing.TB, jetstream.JetStream)
		wantStore   map[int64]int64
		wantApplied []applyCall
	}{
		{name: "empty stream", publish: func(testing.TB, jetstream.JetStream) {}, wantStore: map[int64]int64{}},
		{
			name: "last snapshot of every environment",
			publish: func(tb testing.TB, js jetstream.JetStream) {
				for v := int64(1); v <= 3; v++ {
					publish(tb, js, snapshot(1, v))
				}
				publish(tb, js, snapshot(2, 1))
				publish(tb, js, snapshot(3, 5))
			},
			wantStore:   map[int64]int64{1: 3, 2: 1, 3: 5},
			wantApplied: []applyCall{{Env: 1, Version: 3}, {Env: 2, Version: 1}, {Env: 3, Version: 5}},
		},
		{
			name: "corrupt last message",
			publish: func(tb testing.TB, js jetstream.JetStream) {
				publish(tb, js, snapshot(1, 1))
				publishRaw(tb, js, 2, 1, garbage)
			},
			wantStore:   map[int64]int64{1: 1},
			wantApplied: []applyCall{{Env: 1, Version: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := connect(t, port(startNATS(t, -1)))
			createStream(t, js)
			tt.publish(t, js)
			f := follow(t, js)
			f.waitCaughtUp(t)
			if diff := cmp.Diff(tt.wantStore, f.versions()); diff != "" {
				t.Errorf("store at catch-up mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantApplied, f.appliedCalls()); diff != "" {
				t.Errorf("applied mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLiveChanges: after the catch-up, a newer snapshot of a known environment and the first snapshot of a
// new one are applied as they arrive.
func TestLiveChanges(t *testing.T) {
	js := connect(t, port(startNATS(t, -1)))
	createStream(t, js)
	publish(t, js, snapshot(1, 1))
	f := follow(t, js)
	f.waitCaughtUp(t)

	publish(t, js, snapshot(1, 2))
	publish(t, js, snapshot(2, 1))
	f.waitVersion(t, 2, 1)
	if diff := cmp.Diff(map[int64]int64{1: 2, 2: 1}, f.versions()); diff != "" {
		t.Errorf("store mismatch (-want +got):\n%s", diff)
	}
	want := []applyCall{{Env: 1, Version: 1}, {Env: 1, Version: 2, CaughtUp: true}, {Env: 2, Version: 1, CaughtUp: true}}
	if diff := cmp.Diff(want, f.appliedCalls()); diff != "" {
		t.Errorf("applied mismatch (-want +got):\n%s", diff)
	}
	if e, ok := f.st.BySDKKey("sdk-2"); !ok || e.ID != 2 {
		t.Errorf("BySDKKey(sdk-2) = %v, %v; want environment 2", e, ok)
	}
}

// TestUnusableSnapshots: a snapshot the follower cannot or must not apply leaves the environment at its
// previous state, is reported rejected with its reason, and the follower goes on (a later snapshot of
// another environment is applied).
func TestUnusableSnapshots(t *testing.T) {
	unknownFormat := snapshot(1, 9)
	unknownFormat.Format = wire.FormatChunked + 1 // 2 is the chunked manifest
	sameVersion := snapshot(1, 5)
	sameVersion.Flags[0].Key = "replaced"
	tests := []struct {
		name       string
		version    int64 // its Halyard-Version header
		snap       *wire.Snapshot
		data       []byte // sent instead of snap when set
		wantReason string
	}{
		{name: "garbage bytes", version: 6, data: garbage, wantReason: RejectDecode},
		{name: "unknown format version", version: 9, snap: unknownFormat, wantReason: RejectFormatVersion},
		{name: "older version after a newer one", version: 3, snap: snapshot(1, 3), wantReason: RejectOlder},
		{name: "same version again", version: 5, snap: sameVersion, wantReason: RejectOlder},
		// Environment 3's snapshot on environment 1's subject: applying it would serve environment 3 from a
		// subject whose last message no longer holds environment 1.
		{name: "another environment's snapshot", version: 9, snap: snapshot(3, 9), wantReason: RejectWrongEnvironment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := connect(t, port(startNATS(t, -1)))
			createStream(t, js)
			publish(t, js, snapshot(1, 5))
			f := follow(t, js)
			f.waitCaughtUp(t)
			before, _ := f.st.ByID(1)

			data := tt.data
			if data == nil {
				var err error
				if data, err = wire.Encode(tt.snap); err != nil {
					t.Fatal(err)
				}
			}
			publishRaw(t, js, 1, tt.version, data)
			publish(t, js, snapshot(2, 1)) // delivered after the unusable one
			f.waitVersion(t, 2, 1)
			after, _ := f.st.ByID(1)
			if diff := cmp.Diff(state(before), state(after)); diff != "" {
				t.Errorf("environment 1 mismatch (-before +after):\n%s", diff)
			}
			want := []applyCall{{Env: 1, Version: 5}, {Env: 2, Version: 1, CaughtUp: true}}
			if diff := cmp.Diff(want, f.appliedCalls()); diff != "" {
				t.Errorf("applied mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[int64]int64{1: 5, 2: 1}, f.versions()); diff != "" {
				t.Errorf("store mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.wantReason}, f.rejections()); diff != "" {
				t.Errorf("rejections mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRejectionsLoggedOnce: every rejection is reported, but a snapshot delivered again is logged only the
// first time; another version, or another reason, is logged again.
func TestRejectionsLoggedOnce(t *testing.T) {
	js := connect(t, port(startNATS(t, -1)))
	createStream(t, js)
	core, logs := observer.New(zapcore.InfoLevel)
	f := followLogged(t, js, zap.New(core))
	f.waitCaughtUp(t)
	wrongEnv, err := wire.Encode(snapshot(3, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range []struct {
		version int64
		data    []byte
	}{{6, garbage}, {6, garbage}, {7, garbage}, {1, wrongEnv}, {1, wrongEnv}, {6, garbage}} {
		publishRaw(t, js, 1, m.version, m.data)
		// The stream keeps one message per subject: each must be handled before the next replaces it.
		waitFor(t, fmt.Sprintf("rejection %d", i+1), func() error {
			if n := len(f.rejections()); n != i+1 {
				return fmt.Errorf("%d rejections", n)
			}
			return nil
		})
	}
	publish(t, js, snapshot(2, 1)) // handled after the others, so their logging is done
	f.waitVersion(t, 2, 1)

	wantRejected := []string{RejectDecode, RejectDecode, RejectDecode, RejectWrongEnvironment, RejectWrongEnvironment, RejectDecode}
	if diff := cmp.Diff(wantRejected, f.rejections()); diff != "" {
		t.Errorf("rejections mismatch (-want +got):\n%s", diff)
	}
	type logged struct {
		Reason  string
		Version int64
	}
	var got []logged
	for _, e := range logs.FilterMessageSnippet("cannot apply snapshot").All() {
		m := e.ContextMap()
		got = append(got, logged{Reason: m["reason"].(string), Version: m["version"].(int64)})
	}
	// The last garbage v6 follows another rejection of environment 1, so it is logged again.
	want := []logged{{RejectDecode, 6}, {RejectDecode, 7}, {RejectWrongEnvironment, 1}, {RejectDecode, 6}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logged rejections mismatch (-want +got):\n%s", diff)
	}
}

// TestStartsBeforeNATS: a follower started before NATS is up, and before any writer created the stream,
// keeps trying, then catches up once both exist.
func TestStartsBeforeNATS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := l.Addr().(*net.TCPAddr).Port
	l.Close()
	js := connect(t, free)
	f := follow(t, js)

	startNATS(t, free)
	createStream(t, js)
	publish(t, js, snapshot(1, 1))
	f.waitCaughtUp(t)
	f.waitVersion(t, 1, 1)
}

// envState is what an environment serves: its version and its flags' keys.
type envState struct {
	Version int64
	Flags   []string
}

func state(e *store.Env) envState {
	s := envState{Version: e.Version}
	for _, f := range e.Snapshot.Flags {
		s.Flags = append(s.Flags, f.Key)
	}
	return s
}

// TestStopsWhileWaitingForTheStream: a follower still waiting for the stream returns as soon as it is
// stopped, and is not caught up.
func TestStopsWhileWaitingForTheStream(t *testing.T) {
	js := connect(t, port(startNATS(t, -1)))
	core, logs := observer.New(zapcore.InfoLevel)
	f := New(js, testStream, testPrefix, store.New(), zap.New(core))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	waitFor(t, "the follower to wait for the stream", func() error {
		if logs.FilterMessageSnippet("does not exist yet").Len() == 0 {
			return fmt.Errorf("logged %v", logs.All())
		}
		return nil
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v; want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return 5s after it was stopped")
	}
	if f.CaughtUp.Load() {
		t.Error("caught up without a stream")
	}
}

// TestEnvironmentOf: only prefix.<decimal id> names an environment.
func TestEnvironmentOf(t *testing.T) {
	f := New(nil, testStream, testPrefix, store.New(), zap.NewNop())
	tests := []struct {
		subject string
		wantID  int64
		wantOK  bool
	}{
		{testPrefix + ".12", 12, true},
		{testPrefix + ".0", 0, true},
		{testPrefix + ".x", 0, false},
		{testPrefix + ".", 0, false},
		{testPrefix + ".1.2", 0, false},
		{testPrefix + "ing.1", 0, false},
		{"other.1", 0, false},
	}
	for _, tt := range tests {
		id, ok := f.environmentOf(tt.subject)
		if id != tt.wantID || ok != tt.wantOK {
			t.Errorf("environmentOf(%q) = %d, %t; want %d, %t", tt.subject, id, ok, tt.wantID, tt.wantOK)
		}
	}
}
