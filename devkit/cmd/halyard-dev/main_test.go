package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDevCluster runs `make dev`'s program the way the README says, with its own throwaway PostgreSQL made
// by initdb: the printed commands answer and show the printed change; a second run (and a reset) is refused
// while the first runs, deleting nothing; after Ctrl-C a new run finds the same demo environment, keys and
// flag states.
func TestDevCluster(t *testing.T) {
	work := workDir(t)
	addrs := freeAddrs(t, 3)
	env := map[string]string{"WRITER_ADDR": addrs[0], "EVALUATOR_ADDRS": addrs[1] + " " + addrs[2]}

	first := startRun(t, work, env)
	welcome := first.waitWelcome(t)
	key := sdkKey(t, welcome)
	checkDemoFlags(t, key, addrs[1:])
	if !strings.Contains(welcome, "curl -s -X PATCH http://"+addrs[0]) {
		t.Errorf("the printed PATCH line does not name the writer:\n%s", welcome)
	}
	runPrintedCommands(t, welcome, true)
	checkPrintedStatus(t, welcome)

	refusedWhileRunning(t, work, env, addrs[1:])

	first.stop(t)
	if !strings.Contains(first.out.String(), "writer stopped") {
		t.Errorf("writer did not stop cleanly:\n%s", tail(first.out.String()))
	}
	if _, err := os.Stat(filepath.Join(work, "postgres", "postgres.log")); err != nil {
		t.Errorf("the throwaway PostgreSQL was not used: %v", err)
	}

	second := startRun(t, work, env)
	welcome = second.waitWelcome(t)
	if diff := cmp.Diff(key, sdkKey(t, welcome)); diff != "" {
		t.Errorf("SDK key after a restart mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(welcome, "kept from the last run") {
		t.Errorf("the restarted run does not say it kept the demo environment:\n%s", welcome)
	}
	runPrintedCommands(t, welcome, false) // the switch of the first run was kept
	second.stop(t)
}

// refusedWhileRunning checks that a second run in the same work directory, a run elsewhere on the same
// addresses, and a reset all refuse while the first run serves, and that the first run's files and service
// survive them.
func refusedWhileRunning(t *testing.T, work string, env map[string]string, evaluators []string) {
	t.Helper()
	pgVersion := filepath.Join(work, "postgres", "pgdata", "PG_VERSION")
	ctx := context.Background()
	err := run(ctx, &syncBuffer{}, func(k string) string { return env[k] }, "", work)
	if !errors.Is(err, errRunning) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("second run in the same directory: got %v, want %v naming pid %d", err, errRunning, os.Getpid())
	}
	if err := resetWork(ctx, &syncBuffer{}, work); !errors.Is(err, errRunning) {
		t.Errorf("reset while running: got %v, want %v", err, errRunning)
	}
	other := workDir(t)
	err = run(ctx, &syncBuffer{}, func(k string) string { return env[k] }, "", other)
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("run on the same addresses: got %v, want them refused as in use", err)
	}
	if diff := cmp.Diff([]string{lockName}, dirNames(t, other)); diff != "" {
		t.Errorf("files the refused run left in its directory mismatch (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(pgVersion); err != nil {
		t.Errorf("the first run's PostgreSQL data is gone: %v", err)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, ev := range evaluators {
		if resp, err := hc.Get("http://" + ev + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("evaluator %s no longer ready after the refused runs: %v", ev, err)
		} else {
			resp.Body.Close()
		}
	}
}
