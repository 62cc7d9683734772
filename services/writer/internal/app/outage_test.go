package app

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"github.com/halyard-flags/halyard/shared/natsconn"
)

// TestRunWhilePostgreSQLIsDown: a writer started while PostgreSQL cannot be reached runs, is not ready,
// and answers admin calls 503 database_unavailable with Retry-After; once PostgreSQL is reachable it
// migrates and serves by itself; an outage while it runs is 503 again, and it recovers again.
func TestRunWhilePostgreSQLIsDown(t *testing.T) {
	ns := natsServer(t)
	dbURL, gate := behindGate(t, pgtest.FreshDatabase(t))
	cfg := config.Config{DatabaseURL: dbURL, NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0", HTTP: testHTTP,
		AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test", StreamReplicas: 1,
		PollInterval: 100 * time.Millisecond}
	base, stop := startRun(t, cfg)
	defer stop()
	wantUnavailable(t, base)
	if got := get(t, base+"/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while PostgreSQL is down = %d, want 503", got)
	}

	gate.open(true)
	waitFor(t, "the writer to be ready", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	var p struct{ ID int64 }
	post(t, base+"/api/v1/projects", `{"name": "outage"}`, &p)

	gate.open(false) // an outage while it runs: connections cut, new ones refused
	waitFor(t, "admin calls to answer 503", func() bool { return adminGet(t, base).status == http.StatusServiceUnavailable })
	wantUnavailable(t, base)
	gate.open(true)
	waitFor(t, "admin calls to recover", func() bool { return adminGet(t, base).status == http.StatusOK })
}

func wantUnavailable(tb testing.TB, base string) {
	tb.Helper()
	r := adminGet(tb, base)
	if r.status != http.StatusServiceUnavailable || r.code != "database_unavailable" || r.retryAfter != "1" {
		tb.Fatalf("GET /api/v1/projects with PostgreSQL down = %d %q (Retry-After %q), want 503 database_unavailable (Retry-After 1)",
			r.status, r.code, r.retryAfter)
	}
}

type answer struct {
	status           int
	code, retryAfter string
}

func adminGet(tb testing.TB, base string) answer {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/projects", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("GET /api/v1/projects: %v", err)
	}
	defer resp.Body.Close()
	var body struct{ Code string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return answer{resp.StatusCode, body.Code, resp.Header.Get("Retry-After")}
}

// gate is a TCP proxy to PostgreSQL that can be shut or frozen. While shut it closes every connection it is
// offered and has cut the ones it carried, as a PostgreSQL that went away would. While frozen it accepts
// connections and keeps every one open but forwards nothing either way, as a PostgreSQL stopped by SIGSTOP, a
// stalled disk or a network that drops packets would: no error ever comes, only silence. Opened again, it
// forwards what it held back.
type gate struct {
	target string
	mu     sync.Mutex
	thawed *sync.Cond // broadcast whenever state changes
	state  gateState
	conns  map[net.Conn]bool
}

type gateState int

const (
	gateShut gateState = iota
	gateOpen
	gateFrozen
)

// behindGate returns dbURL with its host replaced by a shut gate in front of it.
func behindGate(tb testing.TB, dbURL string) (string, *gate) {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	g := &gate{target: u.Host, conns: map[net.Conn]bool{}}
	g.thawed = sync.NewCond(&g.mu)
	tb.Cleanup(func() { l.Close(); g.open(false) })
	go g.serve(l)
	u.Host = l.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return u.String(), g
}

func (g *gate) open(open bool) {
	if open {
		g.set(gateOpen)
	} else {
		g.set(gateShut)
	}
}

// freeze stops forwarding, on the connections the gate carries and on the ones it accepts from now on.
func (g *gate) freeze() { g.set(gateFrozen) }

func (g *gate) set(s gateState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.state = s
	if s == gateShut {
		for c := range g.conns {
			c.Close()
			delete(g.conns, c)
		}
	}
	g.thawed.Broadcast()
}

func (g *gate) serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go g.carry(c)
	}
}

func (g *gate) carry(c net.Conn) {
	g.mu.Lock()
	shut := g.state == gateShut
	g.mu.Unlock()
	if shut {
		c.Close()
		return
	}
	pg, err := net.Dial("tcp", g.target)
	if err != nil {
		c.Close()
		return
	}
	g.mu.Lock()
	g.conns[c], g.conns[pg] = true, true
	g.mu.Unlock()
	go g.forward(pg, c)
	g.forward(c, pg)
}

// forward copies src to dst, holding each chunk back while the gate is frozen, until either side closes or
// the gate shuts.
func (g *gate) forward(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !g.waitUnfrozen() {
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// waitUnfrozen waits while the gate is frozen and reports whether it is open.
func (g *gate) waitUnfrozen() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.state == gateFrozen {
		g.thawed.Wait()
	}
	return g.state == gateOpen
}
