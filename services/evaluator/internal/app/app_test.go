package app

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

const appTestSDKKey = "phc_app_test"

// TestShutdownOrder: the evaluator follows a snapshot and answers /flags; when its context ends it is not
// ready at once (503 stopping), still answers /flags 200 with the flag during the lame duck, and Run returns
// nil within its budget with its NATS connection closed.
func TestShutdownOrder(t *testing.T) {
	ns := natsServer(t)
	publishSnapshot(t, ns.ClientURL())
	cfg := config.Config{NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0", HTTP: config.DefaultHTTP,
		Stream: testStream, SubjectPrefix: testPrefix, LogFormat: "json", LogLevel: "info"}
	cfg.HTTP.LameDuck = 2 * time.Second // long enough for the calls below, on a loaded machine
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zap.NewNop(), func(a net.Addr) { addrs <- a }) }()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("Run ended before listening: %v", err)
	}
	waitUntil(t, "the evaluator to be ready", func() bool { return readyz(base) == "200 ready" })
	waitUntil(t, "the flag to be served", func() bool { return flagsAnswer(t, base) == "200 launch" })
	if n := ns.NumClients(); n != 1 {
		t.Fatalf("NATS clients while running = %d, want the evaluator's 1", n)
	}

	stopped := time.Now()
	cancel()
	waitUntil(t, "/readyz to answer 503 stopping", func() bool { return readyz(base) == "503 stopping" })
	if took := time.Since(stopped); took > cfg.HTTP.LameDuck/2 {
		t.Errorf("readiness went false %s after the context ended", took)
	}
	for range 5 {
		if got := flagsAnswer(t, base); got != "200 launch" {
			t.Errorf("/flags during the lame duck = %s, want 200 launch", got)
		}
	}
	if took := time.Since(stopped); took >= cfg.HTTP.LameDuck {
		t.Fatalf("the lame-duck checks took %s, longer than the lame duck: they prove nothing", took)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(cfg.HTTP.LameDuck + 10*time.Second):
		t.Fatal("Run did not return within the lame duck and 10s")
	}
	if took := time.Since(stopped); took < cfg.HTTP.LameDuck {
		t.Errorf("Run returned %s after the context ended, before the lame duck's end", took)
	}
	waitUntil(t, "the evaluator's NATS connection to close", func() bool { return ns.NumClients() == 0 })
}

// TestRunRefusedCredential: a NATS that refuses the evaluator's credential stops Run at once with the
// server's reason.
func TestRunRefusedCredential(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		Users: []*server.User{{Username: "halyard", Password: "right-password"}}})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	defer ns.Shutdown()
	cfg := config.Config{NATS: natsconn.Config{URL: ns.ClientURL(), User: "halyard", Password: "wrong-password"},
		Addr: "127.0.0.1:0", HTTP: config.DefaultHTTP, Stream: testStream, SubjectPrefix: testPrefix}
	err = Run(context.Background(), cfg, zap.NewNop(), nil)
	if err == nil || !strings.Contains(err.Error(), "cannot connect to NATS at "+ns.ClientURL()+": nats: Authorization Violation") {
		t.Fatalf("Run = %v, want the authorization violation", err)
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

// publishSnapshot creates the stream and publishes environment 1 with the flag "launch", as the writer does.
func publishSnapshot(tb testing.TB, url string) {
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
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: testStream, Subjects: []string{testPrefix + ".>"},
		MaxMsgsPerSubject: 1}); err != nil {
		tb.Fatal(err)
	}
	data, err := wire.Encode(&wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: 1, Version: 1,
		Keys:  []wire.Key{{Kind: wire.KindSDK, Value: appTestSDKKey}},
		Flags: []flag.Flag{{Key: "launch", Active: true, Filters: flag.Filters{Groups: []flag.Condition{{RolloutPercentage: ptr(100.0)}}}}}})
	if err != nil {
		tb.Fatal(err)
	}
	msg := nats.NewMsg(testPrefix + ".1")
	msg.Data = data
	msg.Header.Set("Halyard-Version", "1")
	msg.Header.Set("Halyard-Environment", "1")
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		tb.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// readyz is /readyz's status and "status" field, like "200 ready".
func readyz(base string) string {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return strconv.Itoa(resp.StatusCode) + " " + body.Status
}

// flagsAnswer asks /flags for a user and returns the status and the enabled flags, like "200 launch".
func flagsAnswer(tb testing.TB, base string) string {
	tb.Helper()
	resp, err := http.Post(base+"/flags?v=2", "application/json",
		strings.NewReader(`{"token": "`+appTestSDKKey+`", "distinct_id": "user-1"}`))
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct {
		Flags map[string]struct{ Enabled bool }
	}
	_ = json.Unmarshal(b, &body)
	var on []string
	for k, f := range body.Flags {
		if f.Enabled {
			on = append(on, k)
		}
	}
	return strings.TrimSpace(strconv.Itoa(resp.StatusCode) + " " + strings.Join(on, ","))
}

// waitUntil polls ok until it holds, for at most 15 seconds.
func waitUntil(tb testing.TB, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
