package natssub

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// The tests' stream, configured as the writer's publisher configures the real one.
const (
	testStream = "HALYARD_TEST"
	testPrefix = "halyard.test"
)

// startNATS starts an in-process JetStream server on port (-1: a random one) storing in a temporary
// directory, shut down when the test ends.
func startNATS(tb testing.TB, port int) *server.Server {
	tb.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true,
		StoreDir: tb.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		tb.Fatal("NATS is not ready after 10s")
	}
	tb.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

func port(srv *server.Server) int { return srv.Addr().(*net.TCPAddr).Port }

// connect opens a JetStream client to 127.0.0.1:port that keeps trying while no server answers there.
func connect(tb testing.TB, port int) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

// createStream creates the snapshot stream: the last message per environment subject.
func createStream(tb testing.TB, js jetstream.JetStream) {
	tb.Helper()
	_, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: testStream,
		Subjects: []string{testPrefix + ".>"}, MaxMsgsPerSubject: 1, Storage: jetstream.FileStorage})
	if err != nil {
		tb.Fatal(err)
	}
}

// snapshot is an environment's snapshot at a version, with one flag named after the version.
func snapshot(envID, version int64) *wire.Snapshot {
	return &wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: envID, Version: version,
		PublishedAt: time.Now().UnixMilli(),
		Keys:        []wire.Key{{Kind: wire.KindSDK, Value: fmt.Sprintf("sdk-%d", envID)}},
		Flags:       []flag.Flag{{Key: fmt.Sprintf("v%d", version), Active: true}}}
}

// publish puts a snapshot on its environment's subject, as the writer does.
func publish(tb testing.TB, js jetstream.JetStream, snap *wire.Snapshot) {
	tb.Helper()
	data, err := wire.Encode(snap)
	if err != nil {
		tb.Fatal(err)
	}
	publishRaw(tb, js, snap.EnvironmentID, snap.Version, data)
}

// publishRaw puts data on the environment's subject with the writer's headers.
func publishRaw(tb testing.TB, js jetstream.JetStream, envID, version int64, data []byte) {
	tb.Helper()
	msg := nats.NewMsg(testPrefix + "." + strconv.FormatInt(envID, 10))
	msg.Data = data
	msg.Header.Set("Halyard-Version", strconv.FormatInt(version, 10))
	msg.Header.Set("Halyard-Environment", strconv.FormatInt(envID, 10))
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}

// applyCall is one OnApplied call, with whether the follower reported itself caught up at that moment.
type applyCall struct {
	Env, Version int64
	CaughtUp     bool
}

// follower is a running Follower feeding a fresh store, with every OnApplied call and every rejection
// recorded.
type follower struct {
	*Follower
	st       *store.Store
	mu       sync.Mutex
	calls    []applyCall
	rejected []string
}

// follow starts a follower on js, stopped (and Run's return awaited) when the test ends.
func follow(tb testing.TB, js jetstream.JetStream) *follower {
	tb.Helper()
	return followLogged(tb, js, zaptest.NewLogger(tb))
}

// followLogged is follow with the follower logging to log.
func followLogged(tb testing.TB, js jetstream.JetStream, log *zap.Logger) *follower {
	tb.Helper()
	f := &follower{st: store.New()}
	f.Follower = New(js, testStream, testPrefix, f.st, log, OnApplied(f.onApplied), Observe(recorder{f}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.Run(ctx); err != nil {
			tb.Errorf("Run: %v", err)
		}
	}()
	tb.Cleanup(func() { cancel(); <-done })
	return f
}

func (f *follower) onApplied(envID, version int64, _ time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, applyCall{Env: envID, Version: version, CaughtUp: f.CaughtUp.Load()})
}

// recorder is the follower's Observer: it records rejections (applies are recorded by OnApplied).
type recorder struct{ f *follower }

func (recorder) Applied(*wire.Snapshot, time.Duration, bool) {}

func (r recorder) Rejected(reason string) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.rejected = append(r.f.rejected, reason)
}

// rejections returns the reasons of the rejections so far, in order.
func (f *follower) rejections() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.rejected...)
}

// appliedCalls returns the OnApplied calls so far, in order.
func (f *follower) appliedCalls() []applyCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]applyCall(nil), f.calls...)
}

// versions is the version of every environment in the store.
func (f *follower) versions() map[int64]int64 {
	got := map[int64]int64{}
	for _, e := range f.st.All() {
		got[e.ID] = e.Version
	}
	return got
}

// waitCaughtUp waits until the follower reports its initial catch-up done.
func (f *follower) waitCaughtUp(tb testing.TB) {
	tb.Helper()
	waitFor(tb, "the initial catch-up", func() error {
		if !f.CaughtUp.Load() {
			return fmt.Errorf("not caught up")
		}
		return nil
	})
}

// waitVersion waits until the store holds the environment at the version and OnApplied reported it (it is
// called right after the store applied it).
func (f *follower) waitVersion(tb testing.TB, envID, version int64) {
	tb.Helper()
	waitFor(tb, fmt.Sprintf("environment %d at v%d", envID, version), func() error {
		if e, ok := f.st.ByID(envID); !ok || e.Version != version {
			return fmt.Errorf("store holds %v", f.versions())
		}
		for _, c := range f.appliedCalls() {
			if c.Env == envID && c.Version == version {
				return nil
			}
		}
		return fmt.Errorf("not reported applied yet")
	})
}

// waitFor polls cond until it returns nil, failing the test with its last error after 15 seconds.
func waitFor(tb testing.TB, what string, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
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
