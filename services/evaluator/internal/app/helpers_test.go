package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap/zaptest"
)

const (
	testStream = "HALYARD_TEST"
	testPrefix = "halyard.test"
)

// startNATS starts an in-process JetStream server on port (-1: a random one) storing in dir; the test's
// end shuts it down.
func startNATS(tb testing.TB, port int, dir string) *server.Server {
	tb.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir,
		NoLog: true, NoSigs: true})
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

func natsPort(srv *server.Server) int { return srv.Addr().(*net.TCPAddr).Port }

// publisher is a JetStream client that created the snapshot stream, as a writer does.
func publisher(tb testing.TB, port int) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: testStream,
		Subjects: []string{testPrefix + ".>"}, MaxMsgsPerSubject: 1, Storage: jetstream.FileStorage}); err != nil {
		tb.Fatal(err)
	}
	return js
}

// Each test environment's keys.
func sdkKey(env int64) string    { return fmt.Sprintf("sdk-%d", env) }
func serverKey(env int64) string { return fmt.Sprintf("srv-%d", env) }

// snapshot is an environment at a version with one flag, "on", on for everyone.
func snapshot(env, version int64) *wire.Snapshot {
	all := 100.0
	sum := sha256.Sum256([]byte(serverKey(env)))
	now := time.Now()
	return &wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: env, Version: version,
		PublishedAt: now.UnixMilli(), CommittedAt: now.Add(-5 * time.Millisecond).UnixMilli(),
		Keys: []wire.Key{{Kind: wire.KindSDK, Value: sdkKey(env)}, {Kind: wire.KindServer, Value: hex.EncodeToString(sum[:])}},
		Flags: []flag.Flag{{ID: 1, Key: "on", Active: true, Version: version,
			Filters: flag.Filters{Groups: []flag.Condition{{Properties: []flag.Property{}, RolloutPercentage: &all}}}}}}
}

// publish puts data on environment subjectEnv's subject with a Halyard-Version header.
func publish(tb testing.TB, js jetstream.JetStream, subjectEnv, version int64, data []byte) {
	tb.Helper()
	msg := nats.NewMsg(testPrefix + "." + strconv.FormatInt(subjectEnv, 10))
	msg.Data = data
	msg.Header.Set("Halyard-Version", strconv.FormatInt(version, 10))
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}

func encode(tb testing.TB, s *wire.Snapshot) []byte {
	tb.Helper()
	b, err := wire.Encode(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// quickStop is the evaluator's HTTP configuration with a short lame duck, so that tests end quickly.
var quickStop = func() httpserve.Config { c := config.DefaultHTTP; c.LameDuck = 10 * time.Millisecond; return c }()

// evaluator is a running Run: its main and admin base URLs.
type evaluator struct{ url, admin string }

// runEvaluator runs the evaluator against natsURL until the test ends, and waits until it is ready.
func runEvaluator(tb testing.TB, natsURL string, configure func(*config.Config)) evaluator {
	tb.Helper()
	cfg := config.Config{NATS: natsconn.Config{URL: natsURL}, Addr: "127.0.0.1:0", HTTP: quickStop, AdminAddr: freeAddr(tb), Stream: testStream,
		SubjectPrefix: testPrefix, LogFormat: "json", LogLevel: "info"}
	if configure != nil {
		configure(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zaptest.NewLogger(tb), func(a net.Addr) { bound <- a }) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
	})
	var ev evaluator
	select {
	case a := <-bound:
		ev = evaluator{url: "http://" + a.String(), admin: "http://" + cfg.AdminAddr}
	case err := <-done:
		tb.Fatalf("Run returned before listening: %v", err)
	}
	waitFor(tb, "the evaluator to be ready", func() error {
		if code, body := get(tb, ev.url+"/readyz"); code != http.StatusOK {
			return fmt.Errorf("/readyz: %d %s", code, body)
		}
		if code, _ := get(tb, ev.admin+"/status"); code != http.StatusOK {
			return fmt.Errorf("/status: %d", code)
		}
		return nil
	})
	return ev
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var client = &http.Client{Timeout: 5 * time.Second}

// get returns the status and body of GET url; 0 when it cannot connect.
func get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := client.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends body with headers and returns the status.
func post(tb testing.TB, url, body string, headers ...string) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// scrape reads /metrics in the text format and returns every sample by name{label="value",…} (labels
// sorted): a counter's or a gauge's value, a histogram's count as name_count{…}.
func scrape(tb testing.TB, ev evaluator) map[string]float64 {
	tb.Helper()
	resp, err := client.Get(ev.admin + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := name + labels(m)
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[name+"_count"+labels(m)] = float64(m.GetHistogram().GetSampleCount())
			case m.Untyped != nil:
				out[key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

func labels(m *dto.Metric) string {
	var ls []string
	for _, l := range m.GetLabel() {
		ls = append(ls, l.GetName()+"="+strconv.Quote(l.GetValue()))
	}
	if len(ls) == 0 {
		return ""
	}
	return "{" + strings.Join(ls, ",") + "}"
}

// statusOf reads /status.
func statusOf(tb testing.TB, ev evaluator) (int, statusBody) {
	tb.Helper()
	code, body := get(tb, ev.admin+"/status")
	var s statusBody
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		tb.Fatalf("/status %d %q: %v", code, body, err)
	}
	return code, s
}

// statusBody is /status as a client reads it.
type statusBody struct {
	Status  string         `json:"status"`
	Reasons []string       `json:"reasons"`
	Ready   bool           `json:"ready"`
	Version buildinfo.Info `json:"version"`
	NATS    struct {
		Connected         bool    `json:"connected"`
		URL               string  `json:"url"`
		LastError         string  `json:"last_error"`
		Reconnects        uint64  `json:"reconnects"`
		DisconnectedSince *string `json:"disconnected_since"`
	} `json:"nats"`
	Environments []map[string]any `json:"environments"`
}

// waitFor polls cond until it returns nil, failing the test with its last error after 20 seconds.
func waitFor(tb testing.TB, what string, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
