package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/loadgen"
)

// propagation is what one series of changes measured: per evaluator, and until all of them answer.
type propagation struct {
	ack      loadgen.Histogram   // admin PATCH round trip
	publish  loadgen.Histogram   // PATCH acknowledged → the snapshot of that version seen on NATS
	apply    loadgen.Histogram   // snapshot seen on NATS → the last evaluator answers it
	unseen   int                 // changes whose snapshot the harness did not see on NATS
	each     []loadgen.Histogram // per evaluator: PATCH acknowledged → new value answered
	all      loadgen.Histogram   // PATCH acknowledged → the last evaluator answers it
	timeouts int
}

// scenario4 flips a flag of the 50-flag environment between 0% and 100% rollout n times, and after each
// acknowledged PATCH polls every evaluator (in parallel, back to back) until it answers the new value: first
// on an idle cluster, then with scenario 2's /flags load running against evaluator 1.
func (r *Runner) scenario4(ctx context.Context) Scenario {
	s := Scenario{ID: "4", Title: fmt.Sprintf("Propagation: PATCH acknowledged → new value answered by each of 3 evaluators (%d changes)", r.Cfg.PropChanges),
		Status: StatusOK}
	env := r.envs["s2"]
	idle, err := r.propagate(ctx, env, r.Cfg.PropChanges, 0)
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	s.Metrics = append(s.Metrics, idle.metrics("idle")...)

	loadCtx, cancel := context.WithCancel(ctx)
	req := r.evaluatorRequest("/flags?v=2", env.SDKKey, FlagsBodies(env.SDKKey), false)
	done := make(chan *loadgen.Result, 1)
	go func() {
		done <- loadgen.Run(loadCtx, req.Target(), loadgen.Config{Rate: r.Cfg.Rate2, Duration: time.Hour})
	}()
	time.Sleep(time.Second) // let the load settle
	loaded, err := r.propagate(ctx, env, r.Cfg.PropChanges, r.Cfg.PropChanges)
	cancel()
	bg := <-done
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	s.Metrics = append(s.Metrics, loaded.metrics("under load")...)
	s.Note = fmt.Sprintf("Under load: the open-loop generator sent /flags?v=2 (50 flags) to evaluator 1 at %.0f/s during the changes "+
		"(answered %.0f req/s, p99 %.2f ms). Each figure is the time from the admin API's answer to the PATCH until an evaluator "+
		"answers the new value; \"all 3\" is the slowest of the three per change. Polling is back to back, so the figures include "+
		"one /flags round trip (≈ the ceiling's p50).", r.Cfg.Rate2, bg.Throughput(), float64(bg.Latency.Quantile(0.99))/1e6)
	s.Targets = []Target{
		{What: "propagation p50, idle (all 3)", Goal: "≤ " + durText(propagationIdleP50), Measured: msOf(idle.all.Quantile(0.5)), Met: idle.all.Quantile(0.5) <= propagationIdleP50 && idle.timeouts == 0},
		{What: "propagation p99, idle (all 3)", Goal: "≤ " + durText(propagationIdleP99), Measured: msOf(idle.all.Quantile(0.99)), Met: idle.all.Quantile(0.99) <= propagationIdleP99 && idle.timeouts == 0},
		{What: "propagation p99, under load (all 3)", Goal: "≤ " + durText(propagationLoadedP99), Measured: msOf(loaded.all.Quantile(0.99)), Met: loaded.all.Quantile(0.99) <= propagationLoadedP99 && loaded.timeouts == 0},
	}
	return s
}

func (p *propagation) metrics(label string) []Metric {
	f := func(d time.Duration) float64 { return float64(d) / 1e6 }
	out := []Metric{
		{Name: label + ": all 3 evaluators p50", Value: f(p.all.Quantile(0.5)), Unit: "ms"},
		{Name: label + ": all 3 evaluators p90", Value: f(p.all.Quantile(0.9)), Unit: "ms"},
		{Name: label + ": all 3 evaluators p99", Value: f(p.all.Quantile(0.99)), Unit: "ms"},
		{Name: label + ": all 3 evaluators max", Value: f(p.all.Max()), Unit: "ms"},
	}
	for i := range p.each {
		out = append(out, Metric{Name: fmt.Sprintf("%s: evaluator %d p50 / p99", label, i+1), Value: f(p.each[i].Quantile(0.5)), Unit: fmt.Sprintf("ms / %.2f ms", f(p.each[i].Quantile(0.99)))})
	}
	out = append(out,
		Metric{Name: label + ": of which PATCH ack → snapshot on NATS p50 / p99", Value: f(p.publish.Quantile(0.5)), Unit: fmt.Sprintf("ms / %.2f ms", f(p.publish.Quantile(0.99)))},
		Metric{Name: label + ": of which snapshot on NATS → all 3 answer p50 / p99", Value: f(p.apply.Quantile(0.5)), Unit: fmt.Sprintf("ms / %.2f ms", f(p.apply.Quantile(0.99)))},
		Metric{Name: label + ": admin PATCH round trip p50 / p99", Value: f(p.ack.Quantile(0.5)), Unit: fmt.Sprintf("ms / %.2f ms", f(p.ack.Quantile(0.99)))},
		Metric{Name: label + ": changes not seen within 10 s", Value: float64(p.timeouts), Unit: ""})
	return out
}

// propagate makes n changes; offset keeps the flag's value alternating across series.
func (r *Runner) propagate(ctx context.Context, env admin.Environment, n, offset int) (*propagation, error) {
	p := &propagation{each: make([]loadgen.Histogram, len(r.Cluster.Evaluators))}
	seenOnNATS, stop, err := watchSnapshots(r.Cluster.NATSURL, env.ID)
	if err != nil {
		return nil, err
	}
	defer stop()
	pollers := make([]*poller, len(r.Cluster.Evaluators))
	for i, ev := range r.Cluster.Evaluators {
		pollers[i] = newPoller(ev.URL(), env.SDKKey, "propagation")
	}
	for i := range n {
		on := (i+offset)%2 == 0
		pct := 0
		if on {
			pct = 100
		}
		patch := map[string]any{"filters": map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": pct}}}}
		t0 := time.Now()
		version, err := r.Admin.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "propagation"), patch, nil)
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", i, err)
		}
		acked := time.Now()
		p.ack.Record(acked.Sub(t0))
		var wg sync.WaitGroup
		seen := make([]time.Duration, len(pollers))
		for j, pl := range pollers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seen[j] = pl.until(ctx, on, acked, 10*time.Second)
			}()
		}
		wg.Wait()
		var slowest time.Duration
		for j, d := range seen {
			if d < 0 {
				p.timeouts++
				continue
			}
			p.each[j].Record(d)
			slowest = max(slowest, d)
		}
		p.all.Record(slowest)
		if at, ok := seenOnNATS(version); ok {
			p.publish.Record(at.Sub(acked))
			p.apply.Record(acked.Add(slowest).Sub(at))
		} else {
			p.unseen++
		}
	}
	return p, nil
}

// poller asks one evaluator for one flag, as fast as it answers.
type poller struct {
	url  string
	body []byte
	key  string
	hc   *http.Client
}

func newPoller(base, sdkKey, key string) *poller {
	body, _ := json.Marshal(map[string]any{"token": sdkKey, "distinct_id": "propagation-probe", "flag_keys_to_evaluate": []string{key}})
	return &poller{url: base + "/flags?v=2", body: body, key: key, hc: loadgen.NewClient(2, 2*time.Second)}
}

// until polls until the flag's enabled value is want, and returns the time since from (-1 on timeout).
func (p *poller) until(ctx context.Context, want bool, from time.Time, timeout time.Duration) time.Duration {
	deadline := from.Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if got, err := p.enabled(ctx); err == nil && got == want {
			return time.Since(from)
		}
	}
	return -1
}

func (p *poller) enabled(ctx context.Context) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	var out admin.FlagsResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return false, err
	}
	f, ok := out.Flags[p.key]
	if !ok {
		return false, fmt.Errorf("no flag %s", p.key)
	}
	return f.Enabled, nil
}

func msOf(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// watchSnapshots subscribes to the environment's snapshot subject (plain NATS: JetStream publishes reach
// ordinary subscribers too) and records when each version was first seen. It splits propagation into the
// writer's part (commit → publish) and the evaluators' part (publish → answered).
func watchSnapshots(url string, envID int64) (seen func(version int64) (time.Time, bool), stop func(), err error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	at := map[int64]time.Time{}
	_, err = nc.Subscribe(fmt.Sprintf("halyard.snapshot.%d", envID), func(m *nats.Msg) {
		now := time.Now()
		v, err := strconv.ParseInt(m.Header.Get("Halyard-Version"), 10, 64)
		if err != nil {
			return
		}
		mu.Lock()
		if _, ok := at[v]; !ok {
			at[v] = now
		}
		mu.Unlock()
	})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	seen = func(version int64) (time.Time, bool) {
		mu.Lock()
		defer mu.Unlock()
		var first time.Time
		for v, t := range at { // a coalesced publish may carry a later version
			if v >= version && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
		return first, !first.IsZero()
	}
	return seen, nc.Close, nil
}
