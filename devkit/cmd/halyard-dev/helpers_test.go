package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// syncBuffer collects the output of run while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// devRun is run going on in the background, as `make dev` in a terminal.
type devRun struct {
	out    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startRun starts run in work with the environment env; the run is stopped when the test ends at the latest.
func startRun(tb testing.TB, work string, env map[string]string) *devRun {
	tb.Helper()
	root, err := cluster.RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &devRun{out: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- run(ctx, r.out, func(k string) string { return env[k] }, root, work) }()
	tb.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// waitWelcome waits until the run printed what to try, and returns its output.
func (r *devRun) waitWelcome(tb testing.TB) string {
	tb.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(r.out.String(), "Halyard is running") {
		select {
		case err := <-r.done:
			r.done <- err
			tb.Fatalf("run ended before the cluster was up: %v\n%s", err, r.out.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no welcome after 3 minutes:\n%s", r.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r.out.String()
}

// stop ends the run as Ctrl-C would and waits for it.
func (r *devRun) stop(tb testing.TB) {
	tb.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			tb.Fatalf("run: %v", err)
		}
	case <-time.After(time.Minute):
		tb.Fatal("run did not stop within a minute of Ctrl-C")
	}
}

// workDir is a work directory the postgres OS user can reach (the throwaway PostgreSQL runs as that user
// when the tests run as root), removed when the test ends.
func workDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "halyard-dev-test-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func freeAddrs(tb testing.TB, n int) []string {
	tb.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		var err error
		if addrs[i], err = cluster.FreeAddr(); err != nil {
			tb.Fatal(err)
		}
	}
	return addrs
}

func sdkKey(tb testing.TB, welcome string) string {
	tb.Helper()
	key := regexp.MustCompile(`SDK key: (phc_\w+)`).FindStringSubmatch(welcome)
	if key == nil {
		tb.Fatalf("no SDK key printed:\n%s", welcome)
	}
	return key[1]
}

// checkDemoFlags asks each evaluator for the demo flags of user-42 with an example.com email.
func checkDemoFlags(tb testing.TB, key string, evaluators []string) {
	tb.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, ev := range evaluators {
		r, _, err := admin.Flags(context.Background(), hc, "http://"+ev, key, "user-42", map[string]any{"email": "ada@example.com"})
		if err != nil {
			tb.Fatalf("evaluator %s: %v", ev, err)
		}
		if len(r.Flags) != len(demoFlags) || !r.Flags[flipFlag].Enabled {
			tb.Errorf("evaluator %s answered %+v", ev, r.Flags)
		}
	}
}

// runPrintedCommands runs the three curl commands the welcome prints, as a reader would paste them into a
// shell: the first must answer flipFlag true when it is active, the last (after the PATCH) must answer the
// opposite within 10 seconds; /flags?v=1 leaves disabled flags out.
func runPrintedCommands(tb testing.TB, welcome string, active bool) {
	tb.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		tb.Logf("curl not installed: the printed commands are not run")
		return
	}
	cmds := regexp.MustCompile(`(?m)^   (curl .*\\\n.*)$`).FindAllStringSubmatch(welcome, -1)
	if len(cmds) != 3 {
		tb.Fatalf("found %d curl commands in the welcome, want 3:\n%s", len(cmds), welcome)
	}
	enabled := func(out string) bool { return strings.Contains(out, `"`+flipFlag+`":true`) }
	if out := shell(tb, cmds[0][1]); enabled(out) != active {
		tb.Errorf("first printed command answered %s, want %s enabled = %t", out, flipFlag, active)
	}
	if out := shell(tb, cmds[1][1]); !strings.Contains(out, fmt.Sprintf(`"active":%t`, !active)) {
		tb.Errorf("printed PATCH answered %s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for out := shell(tb, cmds[2][1]); enabled(out) == active; out = shell(tb, cmds[2][1]) {
		if time.Now().After(deadline) {
			tb.Fatalf("last printed command still answers %s after 10s, want %s enabled = %t", out, flipFlag, !active)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func shell(tb testing.TB, cmd string) string {
	tb.Helper()
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return string(out)
}

func dirNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

// checkPrintedStatus checks that the welcome prints each evaluator's /metrics and /status URLs, and that
// they answer. (The writer's line is printed too; its admin listener is the writer's own business.)
func checkPrintedStatus(tb testing.TB, welcome string) {
	tb.Helper()
	lines := regexp.MustCompile(`(?m)^   (writer|evaluator-\d+) +(http://\S+/metrics)  (http://\S+/status)$`).FindAllStringSubmatch(welcome, -1)
	if len(lines) != 3 {
		tb.Fatalf("found %d metrics and status lines in the welcome, want 3:\n%s", len(lines), welcome)
	}
	for _, l := range lines[1:] {
		for _, url := range l[2:] {
			resp, err := http.Get(url)
			if err != nil {
				tb.Errorf("%s: %v", url, err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				tb.Errorf("%s answered %s", url, resp.Status)
			}
		}
	}
}
