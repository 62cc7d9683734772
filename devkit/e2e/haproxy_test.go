package e2e

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

// haproxy is a real HAProxy (Debian's haproxy package) balancing HTTP over processes, health-checking their
// /readyz every 200 ms: one failed check takes a process out, two passed ones put it back.
type haproxy struct {
	URL   string // the frontend
	stats string // the stats page's CSV
}

// haproxyConfig has no retries: a request sent to a process that is going away fails, as it would behind a
// load balancer that cannot retry a POST.
const haproxyConfig = `global
    maxconn 1000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 1s
    retries 0
frontend halyard
    bind %s
    default_backend processes
backend processes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 200ms fall 1 rise 2
%slisten stats
    bind %s
    stats enable
    stats uri /stats
`

// startHAProxy runs HAProxy in front of procs (servers named p0, p1, …) until the test ends, and waits until
// it counts every one up.
func startHAProxy(tb testing.TB, procs []*cluster.Process) *haproxy {
	tb.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil { // Debian installs it in /usr/sbin, which is not on every user's PATH
		bin, err = exec.LookPath("/usr/sbin/haproxy")
	}
	if err != nil {
		tb.Fatal("haproxy is not installed: install Debian's haproxy package (apt-get install haproxy; " +
			"make test and .ci/run do it when it is missing)")
	}
	front, _ := cluster.FreeAddr()
	stats, _ := cluster.FreeAddr()
	var servers strings.Builder
	for i, p := range procs {
		fmt.Fprintf(&servers, "    server p%d %s check\n", i, p.Addr)
	}
	cfg := filepath.Join(tb.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, haproxyConfig, front, servers.String(), stats), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start haproxy: %v", err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	h := &haproxy{URL: "http://" + front, stats: "http://" + stats + "/stats;csv"}
	for i := range procs {
		h.waitStatus(tb, i, "UP")
	}
	return h
}

// server is what HAProxy's stats say of one server: its status (UP, DOWN, …) and the requests it was sent.
type server struct {
	status string
	total  int
}

// servers reads the stats of every server of the backend.
func (h *haproxy) servers() (map[string]server, error) {
	resp, err := httpClient.Get(h.stats)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("stats: %s", resp.Status)
	}
	r := csv.NewReader(resp.Body)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	got := map[string]server{}
	for _, row := range rows { // # pxname,svname,qcur,qmax,scur,smax,slim,stot,…,status (18th),…
		if len(row) > 17 && row[0] == "processes" && strings.HasPrefix(row[1], "p") {
			total, _ := strconv.Atoi(row[7])
			got[row[1]] = server{status: row[17], total: total}
		}
	}
	return got, nil
}

// waitStatus waits until HAProxy reports process i with the status.
func (h *haproxy) waitStatus(tb testing.TB, i int, status string) {
	tb.Helper()
	name := "p" + strconv.Itoa(i)
	checkFor(tb, 30*time.Second, 20*time.Millisecond, func() error {
		s, err := h.servers()
		if err != nil {
			return err
		}
		if s[name].status != status {
			return fmt.Errorf("HAProxy says %s is %q, want %q", name, s[name].status, status)
		}
		return nil
	})
}

// waitServed waits until HAProxy has sent process i more than n requests in all.
func (h *haproxy) waitServed(tb testing.TB, i, n int) {
	tb.Helper()
	name := "p" + strconv.Itoa(i)
	checkFor(tb, 30*time.Second, 20*time.Millisecond, func() error {
		s, err := h.servers()
		if err != nil {
			return err
		}
		if s[name].total <= n {
			return fmt.Errorf("HAProxy sent %s %d requests, want more than %d", name, s[name].total, n)
		}
		return nil
	})
}

// served is how many requests HAProxy has sent process i.
func (h *haproxy) served(tb testing.TB, i int) int {
	tb.Helper()
	s, err := h.servers()
	if err != nil {
		tb.Fatal(err)
	}
	return s["p"+strconv.Itoa(i)].total
}
