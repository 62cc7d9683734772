package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockName is the file in the work directory a running halyard-dev holds locked and writes its pid to.
const lockName = "halyard-dev.lock"

// errRunning says another halyard-dev holds the work directory.
var errRunning = errors.New("another halyard-dev is running")

// lockWork takes the work directory for this process, or fails with errRunning naming the process that has
// it. The operating system drops the lock when the process ends, however it ends, so a killed run never
// leaves a stale lock behind.
func lockWork(work string) (release func(), err error) {
	path := filepath.Join(work, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !held {
		b, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("%w with %s (pid %s): stop it first (Ctrl-C in its terminal, or kill %[3]s)",
			errRunning, work, pidOr(b, "unknown"))
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}

func pidOr(b []byte, def string) string {
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return def
}
