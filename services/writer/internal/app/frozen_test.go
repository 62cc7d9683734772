package app

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"github.com/halyard-flags/halyard/shared/natsconn"
)

// frozenBound is how long an admin call may take to answer while PostgreSQL is frozen: the default request
// timeout (10 s) and some slack for a loaded machine.
const frozenBound = 12 * time.Second

// TestFrozenPostgreSQL: with PostgreSQL frozen (its connections open, nothing ever answered) a read and a
// write both answer 503 database_unavailable with Retry-After within the default request timeout, /readyz
// answers 503 while /healthz stays 200; once PostgreSQL answers again the writer is ready, takes changes and
// publishes them, without a restart.
func TestFrozenPostgreSQL(t *testing.T) {
	ns := natsServer(t)
	dbURL, gate := behindGate(t, pgtest.FreshDatabase(t))
	gate.open(true)
	cfg := config.Config{DatabaseURL: dbURL, NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0", HTTP: testHTTP,
		AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test", StreamReplicas: 1,
		PollInterval: 100 * time.Millisecond}
	base, stop := startRun(t, cfg)
	defer stop()
	waitFor(t, "the writer to be ready", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	env := createEnvironment(t, base)
	postFlag(t, base, env, "launch")
	flagURL := base + "/api/v1/environments/" + env + "/flags/launch"

	gate.freeze()
	frozenAt := time.Now()
	var wg sync.WaitGroup
	for _, call := range []struct{ method, url, body string }{
		{http.MethodGet, base + "/api/v1/projects", ""},
		{http.MethodGet, flagURL, ""},
		{http.MethodPatch, flagURL, `{"active": false}`},
		{http.MethodPost, base + "/api/v1/environments/" + env + "/flags", `{"key": "other"}`},
	} {
		wg.Go(func() {
			start := time.Now()
			r := adminDo(t, call.method, call.url, call.body)
			took := time.Since(start)
			t.Logf("%s %s with PostgreSQL frozen: %d %s after %s", call.method, call.url, r.status, r.code, took.Round(time.Millisecond))
			if r.status != http.StatusServiceUnavailable || r.code != "database_unavailable" || r.retryAfter != "1" || took > frozenBound {
				t.Errorf("%s %s with PostgreSQL frozen = %d %q (Retry-After %q) after %s, want 503 database_unavailable (Retry-After 1) within %s",
					call.method, call.url, r.status, r.code, r.retryAfter, took.Round(time.Millisecond), frozenBound)
			}
		})
	}
	wg.Wait()
	waitFor(t, "/readyz to answer 503", func() bool { return get(t, base+"/readyz") == http.StatusServiceUnavailable })
	if took := time.Since(frozenAt); took > frozenBound+5*time.Second {
		t.Errorf("/readyz answered 503 only %s after PostgreSQL froze", took.Round(time.Millisecond))
	}
	if got := get(t, base+"/healthz"); got != http.StatusOK {
		t.Errorf("/healthz with PostgreSQL frozen = %d, want 200: the process is alive, a restart would not help", got)
	}

	gate.open(true)
	waitFor(t, "the writer to be ready again", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	r := adminDo(t, http.MethodPatch, flagURL, `{"active": false}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH after PostgreSQL thawed = %d %q, want 200", r.status, r.code)
	}
	waitPublished(t, ns.ClientURL(), "halyard.test."+env, r.version)
}

type reply struct {
	answer
	version int64 // Halyard-Environment-Version
}

// adminDo sends an admin call with the bootstrap token and returns its status, error code, Retry-After and
// environment version.
func adminDo(tb testing.TB, method, url, body string) reply {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		tb.Errorf("%s %s: %v", method, url, err)
		return reply{}
	}
	defer resp.Body.Close()
	var b struct{ Code string }
	_ = json.NewDecoder(resp.Body).Decode(&b)
	v, _ := strconv.ParseInt(resp.Header.Get("Halyard-Environment-Version"), 10, 64)
	return reply{answer{resp.StatusCode, b.Code, resp.Header.Get("Retry-After")}, v}
}

// TestStopWhilePostgreSQLIsFrozen: a writer whose PostgreSQL froze, with admin calls and the publisher
// waiting on it, still stops when told to (within startRun's 30 s), instead of waiting for an answer that
// never comes.
func TestStopWhilePostgreSQLIsFrozen(t *testing.T) {
	ns := natsServer(t)
	dbURL, gate := behindGate(t, pgtest.FreshDatabase(t))
	gate.open(true)
	cfg := config.Config{DatabaseURL: dbURL, NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0", HTTP: testHTTP,
		AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test", StreamReplicas: 1,
		PollInterval: 100 * time.Millisecond}
	base, stop := startRun(t, cfg)
	waitFor(t, "the writer to be ready", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	env := createEnvironment(t, base)

	gate.freeze()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { adminDo(t, http.MethodPost, base+"/api/v1/environments/"+env+"/flags", `{"key": "stuck"}`) })
	waitFor(t, "/readyz to answer 503", func() bool { return get(t, base+"/readyz") == http.StatusServiceUnavailable })
	start := time.Now()
	stop()
	t.Logf("stopped %s after being told to", time.Since(start).Round(time.Millisecond))
}
