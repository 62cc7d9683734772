package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/halyard-flags/halyard/devkit/cluster"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// coldEnvBase numbers the cold-start environments far above the ones the writer creates.
const coldEnvBase = 1_000_000

// scenario5 puts ColdEnvs snapshots of ColdFlags flags on the snapshot stream, then starts a fresh evaluator
// and measures the time until /readyz answers 200 and its RSS. The snapshots are built with shared/wire and
// published with the writer's subject and headers, straight to JetStream: creating 100,000 flags through the
// admin API would take most of the time budget and measure the writer, not the evaluator's start.
func (r *Runner) scenario5(ctx context.Context) Scenario {
	s := Scenario{ID: "5", Title: fmt.Sprintf("Cold start: an evaluator becomes ready with %d environments × %d flags", r.Cfg.ColdEnvs, r.Cfg.ColdFlags), Status: StatusOK}
	bytes, err := r.seedColdStream(ctx)
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	// Let the running evaluators apply them too, so they are idle when the measured one starts.
	if err := r.waitServed(ctx, coldKey(r.Cfg.ColdEnvs-1), r.Cfg.ColdFlags, 120*time.Second); err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	runs := 3
	if r.Cfg.Quick {
		runs = 1
	}
	var readies []time.Duration
	var rssReady, rssSettled []int64
	for i := range runs {
		ready, rss1, rss2, err := r.coldStartOnce(ctx)
		if err != nil {
			s.Status, s.Note = StatusError, fmt.Sprintf("run %d: %v", i+1, err)
			return s
		}
		r.logf("cold start %d: ready in %s, RSS %d MiB at ready, %d MiB settled", i+1, ready.Round(time.Millisecond), rss1>>20, rss2>>20)
		readies, rssReady, rssSettled = append(readies, ready), append(rssReady, rss1), append(rssSettled, rss2)
	}
	slices.Sort(readies)
	med := readies[len(readies)/2]
	maxRSS := max(slices.Max(rssReady), slices.Max(rssSettled))
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	s.Metrics = []Metric{
		{Name: "snapshots on the stream", Value: float64(r.Cfg.ColdEnvs), Unit: fmt.Sprintf("× %d flags, %.1f MiB in total", r.Cfg.ColdFlags, float64(bytes)/(1<<20))},
		{Name: "process start → /readyz 200 (median)", Value: float64(med) / 1e6, Unit: fmt.Sprintf("ms (runs: %v)", roundAll(readies))},
		{Name: "RSS at ready (VmRSS, max of runs)", Value: mib(slices.Max(rssReady)), Unit: "MiB"},
		{Name: "RSS 2 s after ready (max of runs)", Value: mib(slices.Max(rssSettled)), Unit: "MiB"},
	}
	s.Targets = []Target{
		{What: "cold start ready", Goal: "≤ " + durText(coldStartReady), Measured: msOf(med), Met: med <= coldStartReady},
		{What: "cold start RSS", Goal: fmt.Sprintf("≤ %.0f MB", coldStartRSS/1e6), Measured: fmt.Sprintf("%.0f MB", float64(maxRSS)/1e6), Met: maxRSS <= coldStartRSS},
	}
	s.Note = "Ready means /readyz answered 200 (the evaluator applied every snapshot present at start); the harness then " +
		"checks that the first and last environments answer all their flags. RSS is VmRSS from /proc/<pid>/status. " +
		"The snapshots are published straight to JetStream with the writer's subject and headers (see devkit/bench/coldstart.go)."
	return s
}

func coldKey(i int) string { return fmt.Sprintf("phc_cold_%06d", i) }

func (r *Runner) seedColdStream(ctx context.Context) (int, error) {
	nc, err := nats.Connect(r.Cluster.NATSURL)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	snap, err := BuildSnapshot(0, 1, "", r.Cfg.ColdFlags)
	if err != nil {
		return 0, err
	}
	total := 0
	for i := range r.Cfg.ColdEnvs {
		snap.EnvironmentID = coldEnvBase + int64(i)
		snap.Keys[0].Value = coldKey(i)
		snap.PublishedAt = time.Now().UnixMilli()
		data, err := encodeSnapshot(snap)
		if err != nil {
			return 0, err
		}
		msg := nats.NewMsg("halyard.snapshot." + strconv.FormatInt(snap.EnvironmentID, 10))
		msg.Data = data
		msg.Header.Set("Halyard-Version", strconv.FormatInt(snap.Version, 10))
		msg.Header.Set("Halyard-Environment", strconv.FormatInt(snap.EnvironmentID, 10))
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			return 0, fmt.Errorf("publish cold environment %d: %w", i, err)
		}
		total += len(data)
	}
	return total, nil
}

// coldStartOnce starts one evaluator and returns the time to ready, the RSS at ready and 2 s later.
func (r *Runner) coldStartOnce(ctx context.Context) (time.Duration, int64, int64, error) {
	addr, err := cluster.FreeAddr()
	if err != nil {
		return 0, 0, 0, err
	}
	proto := r.Cluster.NewEvaluator(addr)
	cmd := exec.Command(proto.Bin)
	cmd.Env = append(os.Environ(), proto.Env...)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	hc := &http.Client{Timeout: time.Second}
	var ready time.Duration
	for {
		if time.Since(t0) > 60*time.Second || ctx.Err() != nil {
			return 0, 0, 0, fmt.Errorf("not ready after 60s")
		}
		if resp, err := hc.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready = time.Since(t0)
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	rss1, err := RSSBytes(cmd.Process.Pid)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, i := range []int{0, r.Cfg.ColdEnvs - 1} {
		probe := &cluster.Process{Name: "cold evaluator", Addr: addr}
		if err := r.waitServedBy(ctx, []*cluster.Process{probe}, coldKey(i), r.Cfg.ColdFlags, 5*time.Second); err != nil {
			return 0, 0, 0, fmt.Errorf("ready but environment %d is not served: %w", i, err)
		}
	}
	time.Sleep(2 * time.Second)
	rss2, err := RSSBytes(cmd.Process.Pid)
	return ready, rss1, rss2, err
}

func roundAll(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond).String()
	}
	return out
}
