package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/loadgen"
)

// scenario7 has WriterConc admin clients PATCH the 50 flags of one environment (each client its own flags,
// back to back) for WriterDuration, then waits until every evaluator answers every flag at its last acknowledged
// version: the sustained rate counts only changes that were published and applied. PostgreSQL's sessions are
// sampled meanwhile (cheap); the machine is profiled with perf under a second, unmeasured PATCH load.
func (r *Runner) scenario7(ctx context.Context) Scenario {
	s := Scenario{ID: "7", Title: "Writer: flag updates per second sustained, all published and applied", Status: StatusOK}
	env := r.envs["w"]
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = fmt.Sprintf("w-%04d", i)
	}
	conc := min(r.Cfg.WriterConc, len(keys))
	waitCtx, stopWaits := context.WithCancel(ctx)
	waits, err := sampleWaits(waitCtx, r.Cluster.DatabaseURL)
	if err != nil {
		r.logf("pg_stat_activity sampling: %v", err)
	}
	run := r.patchLoad(ctx, env.ID, keys, conc, r.Cfg.WriterDuration)
	stopWaits()
	if waits != nil {
		r.writerWaits = waits()
	}
	r.logf("writer: %d updates acknowledged in %s (%d failed); waiting until every evaluator applied them", run.count, run.window.Round(time.Millisecond), run.failed)
	drain, err := r.waitVersions(ctx, env.SDKKey, run.last, 60*time.Second)
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	sustained := float64(run.count) / (run.window + drain).Seconds()
	if len(run.commits) > 0 {
		r.writerPerCommit = float64(run.count) / float64(len(run.commits))
	}
	s.Metrics = run.metrics(conc, drain, sustained, r.writerPerCommit)
	if run.lastErr != nil {
		s.Note = "last error: " + run.lastErr.Error()
	}
	s.Targets = []Target{{What: "writer updates/s, all published and applied", Goal: fmt.Sprintf("≥ %s updates/s", thousands(writerUpdatesPerSec)),
		Measured: fmt.Sprintf("%s updates/s", thousands(sustained)), Met: sustained >= writerUpdatesPerSec && run.failed == 0}}
	r.profileWriter(ctx, env.ID, keys, conc)
	return s
}

// profileWriter records the whole machine with perf during one more PATCH load, not measured: perf's
// interrupts are costly on this virtual machine (see profileUnderWrk).
func (r *Runner) profileWriter(ctx context.Context, envID int64, keys []string, conc int) {
	if !r.Cfg.Profile || !perfAvailable() {
		return
	}
	d := min(r.Cfg.WriterDuration, 10*time.Second)
	wait := StartPerfSystem(ctx, r.Cfg.WorkDir, "writer updates", "writer", d)
	r.logf("writer: profiling the machine with perf under one more PATCH load of %s (not measured)", d)
	r.patchLoad(ctx, envID, keys, conc, d+time.Second)
	if sp, err := wait(); err != nil {
		r.logf("writer profile: %v", err)
	} else {
		r.writerProfile = sp
	}
}

// patchRun is what one PATCH load had acknowledged.
type patchRun struct {
	ack           loadgen.Histogram
	last          map[string]int64 // flag key → its last acknowledged flag version
	commits       map[int64]bool   // the environment versions the acknowledged PATCHes produced
	count, failed int
	lastErr       error
	window        time.Duration
}

// patchLoad has conc clients PATCH the keys' rollouts back to back for d, each client its own keys.
func (r *Runner) patchLoad(ctx context.Context, envID int64, keys []string, conc int, d time.Duration) *patchRun {
	run := &patchRun{last: map[string]int64{}, commits: map[int64]bool{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := &patchRun{last: map[string]int64{}, commits: map[int64]bool{}}
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				key := keys[w+conc*(i%((len(keys)-w+conc-1)/conc))]
				patch := map[string]any{"filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": (mine.count*7 + w) % 101}}}}
				var out struct {
					Version int64 `json:"version"`
				}
				t0 := time.Now()
				envVersion, err := r.Admin.Do(ctx, http.MethodPatch, admin.FlagPath(envID, key), patch, &out)
				if err != nil {
					mine.failed++
					mine.lastErr = err
					continue
				}
				mine.ack.Record(time.Since(t0))
				mine.last[key] = out.Version
				mine.commits[envVersion] = true
				mine.count++
			}
			mu.Lock()
			defer mu.Unlock()
			run.merge(mine)
		}()
	}
	wg.Wait()
	run.window = time.Since(start)
	return run
}

func (p *patchRun) merge(o *patchRun) {
	p.ack.Merge(&o.ack)
	for k, v := range o.last {
		p.last[k] = v
	}
	for v := range o.commits {
		p.commits[v] = true
	}
	p.count += o.count
	p.failed += o.failed
	if o.lastErr != nil {
		p.lastErr = o.lastErr
	}
}

func (p *patchRun) metrics(conc int, drain time.Duration, sustained, perCommit float64) []Metric {
	f := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return []Metric{
		{Name: "updates acknowledged", Value: float64(p.count), Unit: fmt.Sprintf("in %s by %d clients", p.window.Round(time.Millisecond), conc)},
		{Name: "acknowledged rate", Value: float64(p.count) / p.window.Seconds(), Unit: "updates/s"},
		{Name: "last ack → every evaluator answers every last version", Value: f(drain), Unit: "ms"},
		{Name: "sustained rate, published and applied", Value: sustained, Unit: "updates/s"},
		{Name: "environment versions committed", Value: float64(len(p.commits)), Unit: fmt.Sprintf("(%.1f edits per commit)", perCommit)},
		{Name: "PATCH p50 / p99", Value: f(p.ack.Quantile(0.5)), Unit: fmt.Sprintf("ms / %.2f ms", f(p.ack.Quantile(0.99)))},
		{Name: "PATCH max", Value: f(p.ack.Max()), Unit: "ms"},
		{Name: "failed PATCHes", Value: float64(p.failed), Unit: ""},
	}
}

// waitVersions polls every evaluator until each flag is answered at least at its version in want.
func (r *Runner) waitVersions(ctx context.Context, sdkKey string, want map[string]int64, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for _, ev := range r.Cluster.Evaluators {
		for {
			resp, _, err := admin.Flags(ctx, r.HTTP, ev.URL(), sdkKey, "writer-probe", nil)
			if err == nil && versionsReached(resp, want) {
				break
			}
			if time.Since(start) > timeout {
				return 0, fmt.Errorf("%s has not applied every update after %s (%v)", ev.Name, timeout, err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return time.Since(start), nil
}

func versionsReached(resp *admin.FlagsResponse, want map[string]int64) bool {
	for k, v := range want {
		if f, ok := resp.Flags[k]; !ok || f.Metadata.Version < v {
			return false
		}
	}
	return true
}
