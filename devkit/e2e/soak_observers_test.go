package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// soakObservers changes the flag every second and watches the cluster meanwhile: what each evaluator
// serves (every 200 ms) and each process's goroutines and heap (every 5 s, per run of the process).
type soakObservers struct {
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	commits  []commit
	retries  int                 // changes refused (the writer restarting) and sent again
	served   map[string][]sample // evaluator → what it served when
	usage    map[string][]usage  // "name run N" → resource samples
	runs     map[string]int      // process → its run (restarts so far)
	restarts []string
}

type commit struct {
	version int64
	at      time.Time
}

type sample struct {
	at      time.Time
	version int64
}

type usage struct {
	at         time.Time
	goroutines float64
	heap       float64
}

func startSoakObservers(t *testing.T, c *cluster.Cluster, cl *admin.Client, env admin.Environment) *soakObservers {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &soakObservers{cancel: cancel, served: map[string][]sample{}, usage: map[string][]usage{}, runs: map[string]int{}}
	procs := append([]*cluster.Process{c.Writer}, c.Evaluators...)
	s.wg.Go(func() { s.change(ctx, cl, env.ID) })
	s.wg.Go(func() { s.sampleServed(ctx, c.Evaluators, env.ID) })
	s.wg.Go(func() { s.sampleUsage(ctx, procs) })
	return s
}

// change commits a change of the flag every second; a change the writer refuses (it is restarting) is sent
// again every 100 ms until it is accepted.
func (s *soakObservers) change(ctx context.Context, cl *admin.Client, envID int64) {
	for i := 0; ; i++ {
		for {
			v, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(envID, "soak"), map[string]any{"name": fmt.Sprintf("change %d", i)}, nil)
			if ctx.Err() != nil {
				return
			}
			s.mu.Lock()
			if err == nil {
				s.commits = append(s.commits, commit{version: v, at: time.Now()})
			} else {
				s.retries++
			}
			s.mu.Unlock()
			if err == nil {
				break
			}
			sleepCtx(ctx, 100*time.Millisecond)
		}
		sleepCtx(ctx, time.Second)
	}
}

func (s *soakObservers) sampleServed(ctx context.Context, evs []*cluster.Process, envID int64) {
	for ctx.Err() == nil {
		for _, ev := range evs {
			if v, err := statusVersion(ev, envID); err == nil {
				s.mu.Lock()
				s.served[ev.Name] = append(s.served[ev.Name], sample{at: time.Now(), version: v})
				s.mu.Unlock()
			}
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
}

func (s *soakObservers) sampleUsage(ctx context.Context, procs []*cluster.Process) {
	for ctx.Err() == nil {
		for _, p := range procs {
			g, gerr := metricValue(p, "go_goroutines")
			h, herr := metricValue(p, "go_memstats_heap_inuse_bytes")
			if gerr != nil || herr != nil {
				continue // restarting
			}
			s.mu.Lock()
			key := fmt.Sprintf("%s run %d", p.Name, s.runs[p.Name]+1)
			s.usage[key] = append(s.usage[key], usage{at: time.Now(), goroutines: g, heap: h})
			s.mu.Unlock()
		}
		sleepCtx(ctx, 5*time.Second)
	}
}

// restarted records that a process (or NATS node) was restarted: its resource samples start a new run.
func (s *soakObservers) restarted(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[name]++
	s.restarts = append(s.restarts, name)
}

func (s *soakObservers) stop() {
	s.cancel()
	s.wg.Wait()
}

// check fails the test when an evaluator applied a version twice or out of order, did not end at the last
// change, or served a change later than the bound; and when a process's goroutines or heap grew.
func (s *soakObservers) check(t *testing.T, c *cluster.Cluster, logs *faultLogs, envID int64) {
	t.Helper()
	if len(s.commits) == 0 {
		t.Fatal("no change was committed during the soak")
	}
	final := s.commits[len(s.commits)-1].version
	for _, ev := range c.Evaluators {
		waitEvaluatorVersion(t, ev, envID, final)
	}
	applies := logs.checkAppliedInOrder(t, envID)
	for name, runs := range applies {
		n := 0
		for _, r := range runs {
			n += len(r)
		}
		t.Logf("%s: %d runs applied %d snapshots of the environment, in order", name, len(runs), n)
	}
	s.checkLag(t, c)
	s.checkFlat(t)
	t.Logf("%d changes committed (%d refused while the writer restarted, sent again)", len(s.commits), s.retries)
}

// soakMaxLag bounds the time from a change's commit to every evaluator serving it, restarts included (an
// evaluator restarting is not sampled until it answers /status again, at the current version).
const soakMaxLag = 15 * time.Second

// checkLag: every change, except those of the last second, was served by every evaluator within soakMaxLag.
func (s *soakObservers) checkLag(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	var lags []time.Duration
	for _, ev := range c.Evaluators {
		samples := s.served[ev.Name]
		for _, cm := range s.commits {
			i := slices.IndexFunc(samples, func(x sample) bool { return !x.at.Before(cm.at) && x.version >= cm.version })
			if i < 0 {
				if samples[len(samples)-1].at.Sub(cm.at) > time.Second {
					t.Errorf("%s never served v%d (committed %s)", ev.Name, cm.version, cm.at.Format(time.StampMilli))
				}
				continue
			}
			lags = append(lags, samples[i].at.Sub(cm.at))
		}
	}
	slices.Sort(lags)
	if len(lags) == 0 {
		t.Fatal("no lag measured")
	}
	p50, p99, worst := lags[len(lags)/2], lags[len(lags)*99/100], lags[len(lags)-1]
	t.Logf("commit to served on every evaluator (sampled every 200 ms): p50 %s, p99 %s, max %s over %d", p50.Round(time.Millisecond),
		p99.Round(time.Millisecond), worst.Round(time.Millisecond), len(lags))
	if worst > soakMaxLag {
		t.Errorf("a change took %s to be served by an evaluator, over %s", worst, soakMaxLag)
	}
}

// checkFlat: in each run of each process long enough to judge (a minute or more), the second half's peak
// goroutines and lowest heap are not above the first half's by more than a margin.
func (s *soakObservers) checkFlat(t *testing.T) {
	t.Helper()
	for key, us := range s.usage {
		if len(us) < 6 || us[len(us)-1].at.Sub(us[0].at) < time.Minute {
			continue
		}
		first, second := us[:len(us)/2], us[len(us)/2:]
		g1, g2 := peak(first, func(u usage) float64 { return u.goroutines }), peak(second, func(u usage) float64 { return u.goroutines })
		h1, h2 := low(first, func(u usage) float64 { return u.heap }), low(second, func(u usage) float64 { return u.heap })
		t.Logf("%s over %s: goroutines peak %.0f then %.0f; heap in use low %.1f MiB then %.1f MiB", key,
			us[len(us)-1].at.Sub(us[0].at).Round(time.Second), g1, g2, h1/(1<<20), h2/(1<<20))
		if g2 > g1+20 {
			t.Errorf("%s: goroutines grew from %.0f to %.0f", key, g1, g2)
		}
		if h2 > 1.5*h1+8<<20 {
			t.Errorf("%s: heap in use grew from %.1f MiB to %.1f MiB", key, h1/(1<<20), h2/(1<<20))
		}
	}
}

func peak(us []usage, f func(usage) float64) float64 {
	m := f(us[0])
	for _, u := range us {
		m = max(m, f(u))
	}
	return m
}

func low(us []usage, f func(usage) float64) float64 {
	m := f(us[0])
	for _, u := range us {
		m = min(m, f(u))
	}
	return m
}
