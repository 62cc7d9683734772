package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultLogs reads the JSON logs of every process of a cluster (cluster.Options.Logs, each line behind
// "[name] "), with the evaluators at debug level: it keeps, for each run of each evaluator, the snapshots
// it applied in order ("applied snapshot"), and the writers' HALYARD_TEST_PAUSE_AT pauses. A fault test
// checks through it that no version was applied twice or out of order.
type faultLogs struct {
	mu      sync.Mutex
	runs    map[string][][]applied // evaluator name → its runs (one per "starting evaluator") → applies
	paused  []paused
	partial []byte
	tee     io.Writer // the raw lines too, under -v
}

// applied is one snapshot an evaluator applied.
type applied struct{ Env, Version int64 }

// paused is one pause of a writer's publisher at a HALYARD_TEST_PAUSE_AT step.
type paused struct {
	Process, Step string
	Env, Version  int64
}

// pausedMessage is the writer's log message at a pause (services/writer/internal/app.PausedMessage).
const pausedMessage = "publisher paused for a test (HALYARD_TEST_PAUSE_AT)"

// newFaultLogs returns a recorder for cluster.Options.Logs, and sets HALYARD_LOG_LEVEL=debug for the
// processes the test starts (they inherit the test's environment).
func newFaultLogs(t *testing.T) *faultLogs {
	t.Helper()
	t.Setenv("HALYARD_LOG_LEVEL", "debug")
	l := &faultLogs{runs: map[string][][]applied{}, tee: io.Discard}
	if testing.Verbose() {
		l.tee = os.Stderr
	}
	return l
}

func (l *faultLogs) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		l.line(l.partial[:i])
		l.partial = l.partial[i+1:]
	}
}

// line records one "[name] {json}" line; l.mu is held.
func (l *faultLogs) line(b []byte) {
	name, rest, ok := bytes.Cut(b, []byte("] "))
	if !ok || len(name) == 0 || name[0] != '[' {
		return
	}
	process := string(name[1:])
	var e struct {
		Msg         string `json:"msg"`
		Step        string `json:"step"`
		Environment int64  `json:"environment"`
		Version     int64  `json:"version"`
	}
	if json.Unmarshal(rest, &e) != nil {
		return
	}
	switch e.Msg {
	case "applied snapshot", "starting evaluator", pausedMessage:
		fmt.Fprintf(l.tee, "%s\n", b)
	default:
		if strings.Contains(string(rest), `"level":"debug"`) {
			return // the rest of the debug logs stays out of -v's output
		}
		fmt.Fprintf(l.tee, "%s\n", b)
	}
	switch e.Msg {
	case "starting evaluator":
		l.runs[process] = append(l.runs[process], nil)
	case "applied snapshot":
		runs := l.runs[process]
		if len(runs) == 0 {
			runs = [][]applied{nil}
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], applied{e.Environment, e.Version})
		l.runs[process] = runs
	case pausedMessage:
		l.paused = append(l.paused, paused{Process: process, Step: e.Step, Env: e.Environment, Version: e.Version})
	}
}

// appliedVersions lists, for each run of each evaluator, the versions of env it applied, in order.
func (l *faultLogs) appliedVersions(env int64) map[string][][]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][][]int64{}
	for name, runs := range l.runs {
		for _, run := range runs {
			var versions []int64
			for _, a := range run {
				if a.Env == env {
					versions = append(versions, a.Version)
				}
			}
			out[name] = append(out[name], versions)
		}
	}
	return out
}

// checkAppliedInOrder fails the test when any run of any evaluator applied a version of env twice or
// after a newer one, and returns what each applied.
func (l *faultLogs) checkAppliedInOrder(tb testing.TB, env int64) map[string][][]int64 {
	tb.Helper()
	all := l.appliedVersions(env)
	for name, runs := range all {
		for i, versions := range runs {
			for j := 1; j < len(versions); j++ {
				if versions[j] <= versions[j-1] {
					tb.Errorf("%s (run %d) applied environment %d's v%d after v%d: %v", name, i+1, env, versions[j], versions[j-1], versions)
				}
			}
		}
	}
	return all
}

// waitPaused waits until a process logged a pause at step and returns it.
func (l *faultLogs) waitPaused(tb testing.TB, step string) paused {
	tb.Helper()
	var got paused
	checkFor(tb, 30*time.Second, 10*time.Millisecond, func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		i := slices.IndexFunc(l.paused, func(p paused) bool { return p.Step == step })
		if i < 0 {
			return fmt.Errorf("no writer paused at %s yet (pauses so far %v)", step, l.paused)
		}
		got = l.paused[i]
		l.paused = slices.Delete(l.paused, i, i+1)
		return nil
	})
	return got
}
