package app

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

const adminToken = "app-test-bootstrap-token-0123456789"

// TestRun: the writer started on a fresh database and an in-process NATS server migrates, becomes ready,
// commits a change made through its admin API and publishes the environment's snapshot, and stops when its
// context ends.
func TestRun(t *testing.T) {
	ns := natsServer(t)
	cfg := config.Config{DatabaseURL: pgtest.FreshDatabase(t), NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0", HTTP: testHTTP,
		AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test", StreamReplicas: 1,
		PollInterval: 100 * time.Millisecond}
	base, stop := startRun(t, cfg)
	waitFor(t, "the writer to be ready", func() bool { return get(t, base+"/readyz") == http.StatusOK })

	var env struct {
		ID int64 `json:"id"`
	}
	post(t, base+"/api/v1/projects", `{"name": "app"}`, &env)
	post(t, base+"/api/v1/projects/"+strconv.FormatInt(env.ID, 10)+"/environments", `{"name": "prod"}`, &env)
	var f struct {
		EnvironmentVersion int64 `json:"environment_version"`
	}
	post(t, base+"/api/v1/environments/"+strconv.FormatInt(env.ID, 10)+"/flags", `{"key": "launch"}`, &f)
	waitPublished(t, ns.ClientURL(), "halyard.test."+strconv.FormatInt(env.ID, 10), f.EnvironmentVersion)

	stop()
}

// startRun runs the writer with cfg until the returned stop is called, which fails the test unless Run then
// returns within 30 s without an error. It returns the admin API's base URL once the writer listens.
func startRun(tb testing.TB, cfg config.Config) (base string, stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zap.NewNop(), func(a net.Addr) { addrs <- a }) }()
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case err := <-done:
		tb.Fatalf("Run ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		tb.Fatal("Run did not listen within 30s")
	}
	return base, func() {
		tb.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				tb.Fatalf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			tb.Fatal("Run did not stop within 30s of its context ending")
		}
	}
}

// natsServer runs an in-process JetStream server on a random port for the test.
func natsServer(tb testing.TB) *server.Server {
	tb.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: tb.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("NATS server not ready")
	}
	tb.Cleanup(ns.Shutdown)
	return ns
}

// waitFor polls ok until it holds, for at most 30 seconds.
func waitFor(tb testing.TB, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitPublished waits until the last snapshot on subject is at version or later.
func waitPublished(tb testing.TB, url, subject string, version int64) {
	tb.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	waitFor(tb, subject+" at version "+strconv.FormatInt(version, 10), func() bool {
		stream, err := js.Stream(ctx, "HALYARD_TEST")
		if err != nil {
			return false
		}
		msg, err := stream.GetLastMsgForSubject(ctx, subject)
		if err != nil {
			return false
		}
		snap, err := wire.Decode(msg.Data)
		if err != nil {
			tb.Fatalf("snapshot on %s: %v", subject, err)
		}
		return snap.Version >= version && len(snap.Flags) == 1 && snap.Flags[0].Key == "launch"
	})
}

func get(tb testing.TB, url string) int {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// post sends an admin call that must answer 201 and decodes its answer into out.
func post(tb testing.TB, url, body string, out any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("POST %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		tb.Fatal(err)
	}
}
