//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPStopsEverything runs the built command, closes its "terminal" with SIGHUP, and checks that the
// writer, the evaluators and the throwaway PostgreSQL are all gone afterwards; then that -reset wipes the
// work directory it left.
func TestSIGHUPStopsEverything(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "halyard-dev")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work, addrs := workDir(t), freeAddrs(t, 3)
	out := &syncBuffer{}
	cmd := exec.Command(bin, "-dir", work)
	cmd.Env = append(os.Environ(), "WRITER_ADDR="+addrs[0], "EVALUATOR_ADDRS="+addrs[1]+" "+addrs[2])
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	r := &devRun{out: out, done: done}
	r.waitWelcome(t)
	pg := postgresPID(t, work)

	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Fatalf("halyard-dev after SIGHUP: %v\n%s", err, tail(out.String()))
		}
	case <-time.After(time.Minute):
		t.Fatalf("halyard-dev still runs a minute after SIGHUP:\n%s", tail(out.String()))
	}
	// pg_ctl stop returns once the pid file is gone, a moment before the process itself.
	for deadline := time.Now().Add(10 * time.Second); running(pg); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL (pid %d) still runs 10s after halyard-dev stopped", pg)
		}
	}
	if err := checkFree(addrs...); err != nil {
		t.Errorf("the writer or an evaluator still listens after SIGHUP: %v", err)
	}

	var resetOut bytes.Buffer
	if err := resetWork(context.Background(), &resetOut, work); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("reset left %s: %v", work, err)
	}
}

// postgresPID is the postmaster's pid from its pid file in the work directory.
func postgresPID(tb testing.TB, work string) int {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(work, "postgres", "pgdata", "postmaster.pid"))
	if err != nil {
		tb.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		tb.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// running says whether pid is a live process: one that exists and is not a zombie waiting to be reaped.
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err) || !dirExists("/proc/self")
	}
	// The state follows the command name in parentheses, which may itself hold spaces and parentheses.
	state := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(state) == 0 || state[0] != "Z"
}

func dirExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
