package app

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// testHTTP is the writer's HTTP configuration in tests: a short lame duck.
var testHTTP = shortLameDuck(config.DefaultHTTP)

func shortLameDuck(c httpserve.Config) httpserve.Config {
	c.LameDuck = 300 * time.Millisecond
	return c
}

// TestShutdownOrder: when its context ends, the writer is not ready at once (503 stopping), still answers
// and commits admin calls during the lame duck, publishes what they changed before it stops publishing,
// and Run returns nil within its budget with its NATS connection and its database connections closed.
func TestShutdownOrder(t *testing.T) {
	ns := natsServer(t)
	dbURL := pgtest.FreshDatabase(t)
	cfg := config.Config{DatabaseURL: dbURL, NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0",
		HTTP: config.DefaultHTTP, AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test",
		StreamReplicas: 1, PollInterval: time.Second}
	cfg.HTTP.LameDuck = 2 * time.Second // long enough for the calls below, on a loaded machine
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zap.NewNop(), func(a net.Addr) { addrs <- a }) }()
	base := "http://" + (<-addrs).String()
	waitFor(t, "the writer to be ready", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	var project struct{ ID int64 }
	post(t, base+"/api/v1/projects", `{"name": "shutdown"}`, &project)
	if n := ns.NumClients(); n != 1 {
		t.Fatalf("NATS clients while running = %d, want the writer's 1", n)
	}

	stopped := time.Now()
	cancel()
	waitFor(t, "/readyz to answer 503 stopping", func() bool { return readyz(t, base) == "503 stopping" })
	if took := time.Since(stopped); took > cfg.HTTP.LameDuck/2 {
		t.Errorf("readiness went false %s after the context ended", took)
	}
	// During the lame duck the writer serves as usual: reads, and changes that it still publishes.
	if got := get(t, base+"/healthz"); got != http.StatusOK {
		t.Errorf("/healthz during the lame duck = %d", got)
	}
	if r := adminGet(t, base); r.status != http.StatusOK {
		t.Errorf("GET /api/v1/projects during the lame duck = %d", r.status)
	}
	var env struct{ ID int64 }
	post(t, base+"/api/v1/projects/"+strconv.FormatInt(project.ID, 10)+"/environments", `{"name": "late"}`, &env)
	var flag struct {
		EnvironmentVersion int64 `json:"environment_version"`
	}
	post(t, base+"/api/v1/environments/"+strconv.FormatInt(env.ID, 10)+"/flags", `{"key": "launch"}`, &flag)
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
	waitFor(t, "the writer's NATS connection to close", func() bool { return ns.NumClients() == 0 })
	waitFor(t, "the writer's database connections to close", func() bool { return otherBackends(t, dbURL) == 0 })
	waitPublished(t, ns.ClientURL(), "halyard.test."+strconv.FormatInt(env.ID, 10), flag.EnvironmentVersion)
}

// readyz is /readyz's status and "status" field, like "200 ready".
func readyz(tb testing.TB, base string) string {
	tb.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct{ Status string }
	_ = json.Unmarshal(b, &body)
	return strconv.Itoa(resp.StatusCode) + " " + body.Status
}

// otherBackends counts the connections to url's database but this one.
func otherBackends(tb testing.TB, url string) int {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
