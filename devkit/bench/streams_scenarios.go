package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/loadgen"
)

// scenario8 opens BENCH_STREAMS OFREP event streams on evaluator 1 (environment s2), then PATCHes s2's
// propagation flag BENCH_STREAM_CHANGES times, each time waiting until every stream has the event: the
// latency from the PATCH's answer to each stream's event, the evaluator's RSS per stream, its CPU while the
// streams idle and per change.
func (r *Runner) scenario8(ctx context.Context) Scenario {
	n, changes := r.Cfg.Streams, r.Cfg.StreamChanges
	s := Scenario{ID: "8", Title: fmt.Sprintf("Change streams: %s OFREP event streams on one evaluator, a change → every stream notified (%d changes)",
		thousands(float64(n)), changes)}
	env := r.envs["s2"]
	u, err := r.streamURL(ctx, env)
	if err != nil {
		s.Status, s.Note = StatusNotAvailable, err.Error()
		return s
	}
	pid, err := pidOf(r.Cluster.EvaluatorBin, "EVALUATOR_ADDR", r.Cluster.Evaluators[0].Addr)
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	r.settle("streams")
	rss0, _ := procStats(pid)
	t0 := time.Now()
	st, err := openIdleStreams(ctx, u, n)
	if err != nil {
		s.Status, s.Note = StatusError, "open the streams: "+err.Error()
		return s
	}
	defer st.close()
	opened := time.Since(t0)
	r.logf("streams: %d open in %s", n, opened.Round(time.Millisecond))
	r.settle("streams")
	rss1, idle0 := procStats(pid)
	idleFor := map[bool]time.Duration{false: 10 * time.Second, true: 3 * time.Second}[r.Cfg.Quick]
	time.Sleep(idleFor)
	_, idle1 := procStats(pid)

	var h loadgen.Histogram
	var cpu time.Duration
	missed := 0
	for i := 0; i < changes && ctx.Err() == nil; i++ {
		_, c0 := procStats(pid)
		patch := map[string]any{"filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": 100 * ((i + 1) % 2)}}}}
		version, err := r.Admin.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "propagation"), patch, nil)
		ack := time.Now()
		if err != nil {
			s.Status, s.Note = StatusError, "PATCH: "+err.Error()
			return s
		}
		deadline := ack.Add(10 * time.Second)
		for st.arrived(version, ack, nil) < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		missed += n - st.arrived(version, ack, &h)
		_, c1 := procStats(pid)
		cpu += c1 - c0
		time.Sleep(200 * time.Millisecond) // let the evaluator's heap settle between changes
	}
	s.Status = StatusOK
	f := func(d time.Duration) float64 { return float64(d) / 1e6 }
	s.Metrics = []Metric{
		{Name: "streams opened", Value: float64(n), Unit: ""},
		{Name: "time to open them (32 dialers)", Value: f(opened), Unit: "ms"},
		{Name: "evaluator RSS before", Value: float64(rss0) / 1e6, Unit: "MB"},
		{Name: "evaluator RSS with the streams open", Value: float64(rss1) / 1e6, Unit: "MB"},
		{Name: "evaluator RSS per idle stream", Value: (float64(rss1) - float64(rss0)) / float64(n) / 1024, Unit: "KiB"},
		{Name: fmt.Sprintf("evaluator CPU while the streams idle (%s)", idleFor), Value: 100 * float64(idle1-idle0) / float64(idleFor), Unit: "% of a core"},
		{Name: "evaluator CPU per change (apply + announce to every stream)", Value: f(cpu) / float64(max(changes, 1)), Unit: "ms"},
		{Name: "PATCH answered → event received, p50", Value: f(h.Quantile(0.5)), Unit: "ms"},
		{Name: "PATCH answered → event received, p90", Value: f(h.Quantile(0.9)), Unit: "ms"},
		{Name: "PATCH answered → event received, p99", Value: f(h.Quantile(0.99)), Unit: "ms"},
		{Name: "PATCH answered → event received, max", Value: f(h.Max()), Unit: "ms"},
		{Name: "events missed (not received within 10 s)", Value: float64(missed), Unit: ""},
	}
	s.Note = fmt.Sprintf("The streams are bare connections of the harness reading the chunked SSE body. With the default "+
		"HALYARD_STREAM_STAGGER (1 s) and HALYARD_STREAM_REFETCH_RATE (20,000/s), the evaluator spreads each change's "+
		"events over %s streams ÷ 20,000/s = %s, so the refetches that follow do not arrive at once (ADR 0013); the "+
		"latencies include that spread on purpose.", thousands(float64(n)), durText(time.Duration(float64(n)/20000*float64(time.Second))))
	s.Targets = []Target{
		{What: "every stream notified, p99", Goal: "≤ " + durText(streamsNotifiedP99), Measured: msOf(h.Quantile(0.99)),
			Met: h.Quantile(0.99) <= streamsNotifiedP99 && missed == 0 && h.Count() > 0},
	}
	return s
}

// scenario9 measures scenario 1's OFREP single-flag load with wrk on evaluator 1 without streams, with
// BENCH_STREAMS idle event streams open, and without again (the two runs without are averaged, so a drift
// of the machine during the three runs does not count against the streams).
func (r *Runner) scenario9(ctx context.Context) Scenario {
	n := r.Cfg.Streams
	s := Scenario{ID: "9", Title: fmt.Sprintf("OFREP single flag with %s idle event streams open vs none", thousands(float64(n)))}
	req := r.evaluatorRequest("/ofrep/v1/evaluate/flags/targeted", r.envs["s1"].SDKKey, OFREPSingleBodies(), true)
	if ok, why := r.probe(ctx, req); !ok {
		s.Status, s.Note = StatusNotAvailable, why
		return s
	}
	u, err := r.streamURL(ctx, r.envs["s2"])
	if err != nil {
		s.Status, s.Note = StatusNotAvailable, err.Error()
		return s
	}
	run := func(label string) (Load, error) {
		r.settle(label)
		r.logf("%s: %s after a %s warm-up", label, r.Cfg.Wrk, r.Cfg.Wrk.Warmup)
		return measured(func() (Load, error) {
			l, _, err := RunWrk(ctx, scriptDir(r.Cfg), "OFREP single flag, "+label, req, r.Cfg.Wrk)
			return l, err
		})
	}
	before, err := run("no streams")
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	st, err := openIdleStreams(ctx, u, n)
	if err != nil {
		s.Status, s.Note = StatusError, "open the streams: "+err.Error()
		return s
	}
	with, err := run(thousands(float64(n)) + " idle streams")
	st.close()
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	after, err := run("no streams again")
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	none := (before.RPS + after.RPS) / 2
	share := with.RPS / none
	s.Status = StatusOK
	for _, l := range []Load{before, with, after} {
		s.Metrics = append(s.Metrics,
			Metric{Name: l.Name + ": req/s (wrk)", Value: l.RPS, Unit: "req/s"},
			Metric{Name: l.Name + ": p99 (wrk)", Value: l.P99, Unit: "ms"},
			Metric{Name: l.Name + ": other processes' CPU", Value: l.OthersCPU, Unit: "%"})
	}
	s.Targets = []Target{{What: "OFREP single flag req/s with the streams open, vs none", Goal: fmt.Sprintf("≥ %.0f%% of none", streamsThroughputShare*100),
		Measured: fmt.Sprintf("%.0f%% (%s vs %s req/s)", share*100, thousands(with.RPS), thousands(none)), Met: share >= streamsThroughputShare}}
	return s
}
