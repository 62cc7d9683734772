package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/nats-io/nats-server/v2/server"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"
)

// The metrics every writer exports from its start (those of the admin API's requests appear with the
// first request).
var writerMetrics = []string{
	"halyard_build_info", "halyard_ready", "halyard_nats_connected", "halyard_nats_reconnects_total",
	"halyard_panics_recovered_total", "halyard_http_requests_in_flight",
	"halyard_outbox_pending", "halyard_outbox_oldest_pending_age_seconds", "halyard_postgres_up",
	"halyard_publish_attempts_total", "halyard_publish_failures_total", "halyard_snapshots_published_total",
	"halyard_snapshot_bytes", "halyard_publish_duration_seconds", "halyard_commit_to_publish_seconds",
	"halyard_changes_committed_total",
	"halyard_pgxpool_acquired_conns", "halyard_pgxpool_idle_conns", "halyard_pgxpool_total_conns",
	"halyard_pgxpool_max_conns", "halyard_pgxpool_acquires_total", "halyard_pgxpool_acquire_duration_seconds_total",
	"halyard_pgxpool_empty_acquires_total", "halyard_pgxpool_canceled_acquires_total",
	"go_goroutines", "process_cpu_seconds_total",
}

// TestObservability runs the writer with its admin listener and watches it through /metrics and /status:
// every metric is there; a change moves the change, publish and snapshot counters and leaves nothing
// pending; with NATS stopped, publishes fail, changes wait in the outbox and /status says degraded and
// why, until NATS is back; with PostgreSQL unreachable, halyard_postgres_up is 0 and /status says so.
func TestObservability(t *testing.T) {
	ns := startRestartableNATS(t)
	dbURL, pg := behindGate(t, pgtest.FreshDatabase(t))
	pg.open(true)
	cfg := config.Config{DatabaseURL: dbURL, NATS: natsconn.Config{URL: "nats://halyard:nats-s3cret@" + ns.hostPort()}, Addr: "127.0.0.1:0", HTTP: testHTTP,
		AdminAddr: freeAddr(t), AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test",
		StreamReplicas: 1, PollInterval: 100 * time.Millisecond, OutboxStuckAfter: 2 * time.Second}
	w := startWriter(t, cfg)
	admin := "http://" + cfg.AdminAddr

	m := scrape(t, admin)
	for _, name := range writerMetrics {
		if _, ok := m[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}
	wantValue(t, m, 1, "halyard_ready")
	wantValue(t, m, 1, "halyard_nats_connected")
	wantValue(t, m, 20, "halyard_pgxpool_max_conns")
	if st := status(t, admin); st.Status != "healthy" || !st.Ready || st.Version.Version == "" || st.Postgres.Pool.Max != 20 {
		t.Errorf("/status at start: %+v; want healthy, ready, a version and the pool", st)
	}
	if got := get(t, w+"/version"); got != http.StatusOK {
		t.Errorf("GET /version = %d; want 200", got)
	}

	env := createEnvironment(t, w)
	before := scrape(t, admin)
	postFlag(t, w, env, "first")
	waitMetrics(t, admin, "the change to be published", func(m metrics) error {
		return errors.Join(moved(before, m, "halyard_changes_committed_total", "resource", "flag"),
			moved(before, m, "halyard_snapshots_published_total"), moved(before, m, "halyard_commit_to_publish_seconds"),
			moved(before, m, "halyard_http_requests_total", "route", "/api/v1/environments/:env_id/flags", "method", "POST", "status", "201"),
			is(m, 0, "halyard_outbox_pending"))
	})
	wantValue(t, scrape(t, admin), 0, "halyard_pgxpool_canceled_acquires_total")

	ns.stop()
	before = scrape(t, admin)
	postFlag(t, w, env, "while-nats-is-down")
	waitMetrics(t, admin, "a publish to fail with NATS down", func(m metrics) error {
		return errors.Join(moved(before, m, "halyard_publish_failures_total"), is(m, 0, "halyard_nats_connected"),
			above(m, 0, "halyard_outbox_pending"))
	})
	waitStatus(t, admin, "degraded", "NATS is disconnected", "the outbox is stuck")

	ns.start()
	waitStatus(t, admin, "healthy")
	waitMetrics(t, admin, "the waiting change to be published", func(m metrics) error {
		return errors.Join(is(m, 0, "halyard_outbox_pending"), is(m, 1, "halyard_nats_connected"),
			above(m, 0, "halyard_nats_reconnects_total"))
	})

	pg.open(false)
	waitMetrics(t, admin, "PostgreSQL to be reported down", func(m metrics) error { return is(m, 0, "halyard_postgres_up") })
	st := waitStatus(t, admin, "degraded", "PostgreSQL is not answering")
	if st.Postgres.Up || st.Postgres.LastError == "" || st.Outbox.Pending != nil {
		t.Errorf("/status with PostgreSQL down: %+v; want postgres down with its error, the outbox unknown", st)
	}
	pg.open(true)
	waitStatus(t, admin, "healthy")
}

// TestStatusRedactsNATSCredentials: /status shows the NATS URL without its password.
func TestStatusRedactsNATSCredentials(t *testing.T) {
	ns := startRestartableNATS(t)
	cfg := config.Config{DatabaseURL: pgtest.FreshDatabase(t), NATS: natsconn.Config{URL: "nats://halyard:nats-s3cret@" + ns.hostPort()}, HTTP: testHTTP,
		Addr: "127.0.0.1:0", AdminAddr: freeAddr(t), AdminToken: adminToken, Stream: "HALYARD_TEST",
		SubjectPrefix: "halyard.test", StreamReplicas: 1, PollInterval: 100 * time.Millisecond}
	startWriter(t, cfg)
	body := getBody(t, "http://"+cfg.AdminAddr+"/status")
	if strings.Contains(body, "nats-s3cret") || !strings.Contains(body, `"url": "nats://halyard:redacted@`) {
		t.Errorf("/status = %s; want the NATS URL with its password redacted", body)
	}
}

// startWriter runs the writer with cfg until the test ends, waits until it is ready, and returns its
// admin API's base URL.
func startWriter(tb testing.TB, cfg config.Config) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zap.NewNop(), func(a net.Addr) { addrs <- a }) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("Run: %v", err)
		}
	})
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case err := <-done:
		tb.Fatalf("Run ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		tb.Fatal("Run did not listen within 30s")
	}
	waitFor(tb, "the writer to be ready", func() bool { return get(tb, base+"/readyz") == http.StatusOK })
	return base
}

// freeAddr returns a loopback address with a port free a moment ago, for the admin listener.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func createEnvironment(tb testing.TB, base string) string {
	tb.Helper()
	var env struct {
		ID int64 `json:"id"`
	}
	post(tb, base+"/api/v1/projects", `{"name": "observed"}`, &env)
	post(tb, base+"/api/v1/projects/"+strconv.FormatInt(env.ID, 10)+"/environments", `{"name": "prod"}`, &env)
	return strconv.FormatInt(env.ID, 10)
}

func postFlag(tb testing.TB, base, env, key string) {
	tb.Helper()
	var out struct{}
	post(tb, base+"/api/v1/environments/"+env+"/flags", `{"key": "`+key+`"}`, &out)
}

// restartableNATS is an in-process JetStream server that can be stopped and started again on the same
// port and store.
type restartableNATS struct {
	tb   testing.TB
	srv  *server.Server
	port int
	dir  string
}

func startRestartableNATS(tb testing.TB) *restartableNATS {
	tb.Helper()
	n := &restartableNATS{tb: tb, port: -1, dir: tb.TempDir()}
	n.start()
	tb.Cleanup(n.stop)
	return n
}

func (n *restartableNATS) start() {
	n.tb.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: n.port, JetStream: true, StoreDir: n.dir, NoLog: true, NoSigs: true})
	if err != nil {
		n.tb.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		n.tb.Fatal("NATS is not ready after 10s")
	}
	n.srv, n.port = srv, srv.Addr().(*net.TCPAddr).Port
}

func (n *restartableNATS) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

func (n *restartableNATS) hostPort() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// metrics is one scrape of /metrics.
type metrics map[string]*dto.MetricFamily

func scrape(tb testing.TB, admin string) metrics {
	tb.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(getBody(tb, admin+"/metrics")))
	if err != nil {
		tb.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// value sums the samples of the metric whose labels include these name, value pairs (for a histogram, its
// sample counts); ok is false when there is none.
func (m metrics) value(name string, labels ...string) (v float64, ok bool) {
	f := m[name]
	if f == nil {
		return 0, false
	}
	for _, s := range f.GetMetric() {
		if !hasLabels(s, labels) {
			continue
		}
		ok = true
		switch {
		case s.Counter != nil:
			v += s.Counter.GetValue()
		case s.Gauge != nil:
			v += s.Gauge.GetValue()
		case s.Histogram != nil:
			v += float64(s.Histogram.GetSampleCount())
		default:
			v += s.GetUntyped().GetValue()
		}
	}
	return v, ok
}

func hasLabels(s *dto.Metric, labels []string) bool {
	have := map[string]string{}
	for _, l := range s.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(labels); i += 2 {
		if have[labels[i]] != labels[i+1] {
			return false
		}
	}
	return true
}

func is(m metrics, want float64, name string, labels ...string) error {
	if v, ok := m.value(name, labels...); !ok || v != want {
		return fmt.Errorf("%s%v = %v (present %t); want %v", name, labels, v, ok, want)
	}
	return nil
}

func above(m metrics, floor float64, name string, labels ...string) error {
	if v, ok := m.value(name, labels...); !ok || v <= floor {
		return fmt.Errorf("%s%v = %v (present %t); want more than %v", name, labels, v, ok, floor)
	}
	return nil
}

// moved says whether the metric grew between the two scrapes.
func moved(before, after metrics, name string, labels ...string) error {
	was, _ := before.value(name, labels...)
	return above(after, was, name, labels...)
}

func wantValue(tb testing.TB, m metrics, want float64, name string, labels ...string) {
	tb.Helper()
	if err := is(m, want, name, labels...); err != nil {
		tb.Error(err)
	}
}

// waitMetrics scrapes until check passes, for at most 30 seconds.
func waitMetrics(tb testing.TB, admin, what string, check func(metrics) error) {
	tb.Helper()
	var err error
	deadline := time.Now().Add(30 * time.Second)
	for err = check(scrape(tb, admin)); err != nil; err = check(scrape(tb, admin)) {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// statusAnswer is the part of /status the tests read.
type statusAnswer struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
	Ready   bool     `json:"ready"`
	Version struct {
		Version string `json:"version"`
	} `json:"version"`
	Postgres struct {
		Up        bool   `json:"up"`
		LastError string `json:"last_error"`
		Pool      struct {
			Max int32 `json:"max"`
		} `json:"pool"`
	} `json:"postgres"`
	Outbox struct {
		Pending *int64 `json:"pending"`
	} `json:"outbox"`
}

func status(tb testing.TB, admin string) statusAnswer {
	tb.Helper()
	var st statusAnswer
	if err := json.Unmarshal([]byte(getBody(tb, admin+"/status")), &st); err != nil {
		tb.Fatalf("/status: %v", err)
	}
	return st
}

// waitStatus polls /status until it says want with a reason starting with each of reasons.
func waitStatus(tb testing.TB, admin, want string, reasons ...string) statusAnswer {
	tb.Helper()
	var st statusAnswer
	waitFor(tb, fmt.Sprintf("/status %s %q", want, reasons), func() bool {
		st = status(tb, admin)
		if st.Status != want || (len(reasons) == 0) != (len(st.Reasons) == 0) {
			return false
		}
		for _, r := range reasons {
			if !hasPrefix(st.Reasons, r) {
				return false
			}
		}
		return true
	})
	return st
}

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// getBody GETs url, which must answer 200, and returns the body.
func getBody(tb testing.TB, url string) string {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %d %s %v", url, resp.StatusCode, body, err)
	}
	return string(body)
}
