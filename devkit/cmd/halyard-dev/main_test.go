package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"regexp"
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

// TestDevCluster runs `make dev`'s program the way the README says, with its own throwaway PostgreSQL made
// by initdb, checks that the printed SDK key answers the demo flags and a printed change propagates, then
// stops it as Ctrl-C would.
func TestDevCluster(t *testing.T) {
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp("", "halyard-dev-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil { // the postgres user must reach its data directory
		t.Fatal(err)
	}
	addrs := make([]string, 3)
	for i := range addrs {
		addrs[i], _ = cluster.FreeAddr()
	}
	env := map[string]string{"WRITER_ADDR": addrs[0], "EVALUATOR_ADDRS": addrs[1] + " " + addrs[2]}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, out, func(k string) string { return env[k] }, root, work) }()

	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(out.String(), "Halyard is running") {
		select {
		case err := <-done:
			t.Fatalf("run ended before the cluster was up: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no welcome after 3 minutes:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	key := regexp.MustCompile(`SDK key: (phc_\w+)`).FindStringSubmatch(out.String())
	if key == nil {
		t.Fatalf("no SDK key printed:\n%s", out.String())
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, ev := range addrs[1:] {
		r, _, err := admin.Flags(ctx, hc, "http://"+ev, key[1], "user-42", map[string]any{"email": "ada@example.com"})
		if err != nil {
			t.Fatalf("evaluator %s: %v", ev, err)
		}
		if len(r.Flags) != len(demoFlags) || !r.Flags["beta-banner"].Enabled {
			t.Errorf("evaluator %s answered %+v", ev, r.Flags)
		}
	}
	if !strings.Contains(out.String(), "curl -s -X PATCH http://"+addrs[0]) {
		t.Errorf("the printed PATCH line does not name the writer:\n%s", out.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("run did not stop within a minute of Ctrl-C")
	}
	if !strings.Contains(out.String(), "writer stopped") {
		t.Errorf("writer did not stop cleanly:\n%s", tail(out.String()))
	}
	if _, err := os.Stat(work + "/postgres/postgres.log"); err != nil {
		t.Errorf("the throwaway PostgreSQL was not used: %v", err)
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}
