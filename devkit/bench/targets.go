package bench

import (
	"fmt"
	"strings"
	"time"
)

// The targets every run is checked against. The scenarios check their figures against these constants, and
// the report's "Scenarios and targets" section is written from them, so the two cannot disagree.
const (
	ofrepSingleRPS          = 30000 // scenario 1, wrk req/s
	ofrepSingleP99          = 10    // ms, wrk
	ofrepSingleCeilingShare = 0.75  // of the ceiling's wrk req/s in the same pair
	fiftyFlagsRPS           = 15000 // scenario 2, each endpoint, wrk req/s
	fiftyFlagsP99           = 15    // ms, wrk
	thousandFlagsRPS        = 1000  // scenario 3, wrk req/s

	propagationIdleP50   = 10 * time.Millisecond // scenario 4, all 3 evaluators
	propagationIdleP99   = 50 * time.Millisecond
	propagationLoadedP99 = 100 * time.Millisecond

	coldStartReady = 2 * time.Second // scenario 5
	coldStartRSS   = 300e6           // bytes (VmRSS)

	snapshotEncode        = 50 * time.Millisecond  // scenario 6
	snapshotDecodeCompile = 100 * time.Millisecond // decode + compile

	writerUpdatesPerSec = 1000 // scenario 7

	streamsNotifiedP99     = time.Second // scenario 8: PATCH answered → every stream's event
	streamsThroughputShare = 0.9         // scenario 9: req/s with the streams open, of req/s without
)

// ScenarioSpec is one numbered scenario as the harness runs it: what it loads, how it measures, its target.
type ScenarioSpec struct {
	ID, Loads, Measured, Target string
}

// httpMeasured is how scenarios 1 to 3 are measured.
func httpMeasured(rate string) string {
	return "wrk (closed loop) and the open-loop generator at `" + rate + "`, each run right after the same tool " +
		"against the reference ceiling; requests go to evaluator 1"
}

// Specs lists the scenarios in order.
func Specs() []ScenarioSpec {
	return []ScenarioSpec{
		{"1", "one targeted flag (an `icontains` email condition and a 50% rollout); OFREP " +
			"`POST /ofrep/v1/evaluate/flags/targeted` with a context {targetingKey, email}, cycling through 1,000 users",
			httpMeasured("BENCH_RATE_1"),
			fmt.Sprintf("≥ %s req/s and p99 ≤ %d ms (wrk), ≥ %.0f%% of the ceiling's req/s", thousands(ofrepSingleRPS),
				ofrepSingleP99, ofrepSingleCeilingShare*100)},
		{"2", "50 flags, half static rollouts, half targeted (a substring, an exact list, a number or a regex, and a " +
			"rollout); OFREP bulk `POST /ofrep/v1/evaluate/flags` and PostHog `POST /flags?v=2` with the person's properties",
			httpMeasured("BENCH_RATE_2") + "; each endpoint on its own",
			fmt.Sprintf("each endpoint ≥ %s req/s and p99 ≤ %d ms (wrk)", thousands(fiftyFlagsRPS), fiftyFlagsP99)},
		{"3", "1,000 flags of the same mix; `POST /flags?v=2`", httpMeasured("BENCH_RATE_3"),
			fmt.Sprintf("≥ %s req/s (wrk)", thousands(thousandFlagsRPS))},
		{"4", "`BENCH_PROP_CHANGES` admin PATCHes flipping one flag of scenario 2's environment between 0% and 100%",
			"after each acknowledged PATCH every evaluator is polled back to back until it answers the new value; " +
				"first on an idle cluster, then with scenario 2's /flags load at `BENCH_RATE_2` on evaluator 1",
			fmt.Sprintf("all 3 evaluators: p50 ≤ %s and p99 ≤ %s idle, p99 ≤ %s under load", durText(propagationIdleP50),
				durText(propagationIdleP99), durText(propagationLoadedP99))},
		{"5", "`BENCH_COLD_ENVS` environment snapshots of `BENCH_COLD_FLAGS` flags each on the stream",
			"a new evaluator process: start → `/readyz` 200 (median of its runs) and its VmRSS",
			fmt.Sprintf("ready ≤ %s, RSS ≤ %.0f MB", durText(coldStartReady), coldStartRSS/1e6)},
		{"6", "one snapshot of `BENCH_SNAPSHOT_FLAGS` flags of the same mix",
			"in the harness process: `wire.Encode`, `wire.Decode` and `eval.Compile`, several runs each, the fastest kept",
			fmt.Sprintf("encode ≤ %s, decode + compile ≤ %s", durText(snapshotEncode), durText(snapshotDecodeCompile))},
		{"7", "`BENCH_WRITER_CONC` clients PATCHing 50 flags of one environment back to back for `BENCH_WRITER_DURATION`",
			"acknowledged updates divided by the time until every evaluator answers every flag at its last version",
			fmt.Sprintf("≥ %s updates/s, none failed", thousands(writerUpdatesPerSec))},
		{"8", "`BENCH_STREAMS` OFREP event streams (bare connections of the harness) on evaluator 1 for scenario 2's environment; " +
			"`BENCH_STREAM_CHANGES` admin PATCHes of its propagation flag",
			"after each acknowledged PATCH, the time until each stream receives the refetchEvaluation event (spread by the " +
				"evaluator over streams ÷ 20,000/s, at most 1 s); the evaluator's VmRSS before and with the streams, its CPU " +
				"while they idle and per change",
			fmt.Sprintf("every stream notified: p99 ≤ %s, none missed", durText(streamsNotifiedP99))},
		{"9", "scenario 1's load, without streams, with `BENCH_STREAMS` idle event streams open on evaluator 1, and without again",
			"wrk (closed loop) on evaluator 1, three runs; the two without streams averaged",
			fmt.Sprintf("req/s with the streams ≥ %.0f%% of req/s without", streamsThroughputShare*100)},
	}
}

func durText(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return fmt.Sprintf("%d ms", d/time.Millisecond)
}

// specsMarkdown is the report's "Scenarios and targets" section.
func specsMarkdown() string {
	var b strings.Builder
	b.WriteString("## Scenarios and targets\n\n")
	b.WriteString("What each scenario loads, how it is measured and the target it is checked against (the `BENCH_*`\n")
	b.WriteString("values of this run are under Settings above; `devkit/bench/targets.go` holds the targets).\n\n")
	b.WriteString("| scenario | loads | measured by | target |\n|---|---|---|---|\n")
	for _, s := range Specs() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.ID, s.Loads, s.Measured, s.Target)
	}
	return b.String()
}
