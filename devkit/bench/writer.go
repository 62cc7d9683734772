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
// version: the sustained rate counts only changes that were published and applied.
func (r *Runner) scenario7(ctx context.Context) Scenario {
	s := Scenario{ID: "7", Title: "Writer: flag updates per second sustained, all published and applied", Status: StatusOK}
	env := r.envs["w"]
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = fmt.Sprintf("w-%04d", i)
	}
	var (
		mu      sync.Mutex
		ack     loadgen.Histogram
		last    = map[string]int64{}
		commits = map[int64]bool{} // the environment versions the acknowledged PATCHes produced
		count   int
		failed  int
		lastErr error
		wg      sync.WaitGroup
	)
	var wait func() (*SystemProfile, error)
	if r.Cfg.Profile && perfAvailable() {
		wait = StartPerfSystem(ctx, r.Cfg.WorkDir, "writer updates", "writer", max(r.Cfg.WriterDuration-time.Second, time.Second))
	}
	waitCtx, stopWaits := context.WithCancel(ctx)
	waits, err := sampleWaits(waitCtx, r.Cluster.DatabaseURL)
	if err != nil {
		r.logf("pg_stat_activity sampling: %v", err)
	}
	start := time.Now()
	deadline := start.Add(r.Cfg.WriterDuration)
	conc := min(r.Cfg.WriterConc, len(keys))
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h loadgen.Histogram
			mine := map[string]int64{}
			versions := map[int64]bool{}
			n, bad := 0, 0
			var werr error
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				key := keys[w+conc*(i%((len(keys)-w+conc-1)/conc))]
				patch := map[string]any{"filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": (n*7 + w) % 101}}}}
				var out struct {
					Version int64 `json:"version"`
				}
				t0 := time.Now()
				envVersion, err := r.Admin.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, key), patch, &out)
				if err != nil {
					bad++
					werr = err
					continue
				}
				h.Record(time.Since(t0))
				mine[key] = out.Version
				versions[envVersion] = true
				n++
			}
			mu.Lock()
			defer mu.Unlock()
			ack.Merge(&h)
			for k, v := range mine {
				last[k] = v
			}
			for v := range versions {
				commits[v] = true
			}
			count += n
			failed += bad
			if werr != nil {
				lastErr = werr
			}
		}()
	}
	wg.Wait()
	window := time.Since(start)
	stopWaits()
	if waits != nil {
		r.writerWaits = waits()
	}
	if wait != nil {
		if sp, err := wait(); err != nil {
			r.logf("writer profile: %v", err)
		} else {
			r.writerProfile = sp
		}
	}
	r.logf("writer: %d updates acknowledged in %s (%d failed); waiting until every evaluator applied them", count, window.Round(time.Millisecond), failed)
	drain, err := r.waitVersions(ctx, env.SDKKey, last, 60*time.Second)
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	total := window + drain
	sustained := float64(count) / total.Seconds()
	f := func(d time.Duration) float64 { return float64(d) / 1e6 }
	if len(commits) > 0 {
		r.writerPerCommit = float64(count) / float64(len(commits))
	}
	s.Metrics = []Metric{
		{Name: "updates acknowledged", Value: float64(count), Unit: fmt.Sprintf("in %s by %d clients", window.Round(time.Millisecond), conc)},
		{Name: "acknowledged rate", Value: float64(count) / window.Seconds(), Unit: "updates/s"},
		{Name: "last ack → every evaluator answers every last version", Value: f(drain), Unit: "ms"},
		{Name: "sustained rate, published and applied", Value: sustained, Unit: "updates/s"},
		{Name: "environment versions committed", Value: float64(len(commits)), Unit: fmt.Sprintf("(%.1f edits per commit)", r.writerPerCommit)},
		{Name: "PATCH p50 / p99", Value: f(ack.Quantile(0.5)), Unit: fmt.Sprintf("ms / %.2f ms", f(ack.Quantile(0.99)))},
		{Name: "PATCH max", Value: f(ack.Max()), Unit: "ms"},
		{Name: "failed PATCHes", Value: float64(failed), Unit: ""},
	}
	if lastErr != nil {
		s.Note = "last error: " + lastErr.Error()
	}
	s.Targets = []Target{{What: "writer updates/s, all published and applied", Goal: "≥ 1,000 updates/s",
		Measured: fmt.Sprintf("%s updates/s", thousands(sustained)), Met: sustained >= 1000 && failed == 0}}
	return s
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
