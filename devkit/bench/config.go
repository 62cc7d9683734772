// Package bench is Halyard's benchmark harness (`make bench`): it starts a real local cluster (PostgreSQL,
// in-process NATS, the writer and three evaluators, all built from this tree), loads each scenario (Specs)
// through the admin API, drives load with wrk (closed loop) and an open-loop generator (package loadgen),
// measures a reference ceiling in the same run, and writes docs/benchmarks.md and docs/benchmarks.json.
package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is read from BENCH_* environment variables (see FromEnv); every duration and size is configurable
// so a full run stays under ten minutes and BENCH_QUICK=1 smoke-tests everything in under two.
type Config struct {
	Root      string // repository root
	WorkDir   string // binaries, NATS store, scripts (a temp dir)
	OutDir    string // where benchmarks.md and benchmarks.json go (BENCH_OUT, default <root>/docs)
	Quick     bool
	Source    string          // BENCH_SOURCE: "head" (default: build a clean export of HEAD) or "worktree"
	SourceDir string          // BENCH_SOURCE_DIR: an export of HEAD already made (by the driver that re-executed itself from it)
	Scenarios map[string]bool // BENCH_SCENARIOS=1,2,4: only these (default all)

	Wrk          WrkSettings   // BENCH_WRK_DURATION (15s), BENCH_WRK_WARMUP (5s); -t2 -c64 fixed by the issue
	CeilingWarm  time.Duration // BENCH_CEILING_WARMUP (2s): warm-up of the ceiling run paired with each load
	OpenDuration time.Duration // BENCH_OPEN_DURATION (10s): each open-loop run
	OpenWarmup   time.Duration // BENCH_OPEN_WARMUP (2s; quick: 1s): sent at the same rate before each, not recorded
	Rate1        float64       // BENCH_RATE_1 (4000/s): open-loop rate of scenario 1
	Rate2        float64       // BENCH_RATE_2 (1000/s): scenario 2, and the background load of scenario 4
	Rate3        float64       // BENCH_RATE_3 (100/s): scenario 3

	PropChanges    int           // BENCH_PROP_CHANGES (500)
	ColdEnvs       int           // BENCH_COLD_ENVS (100)
	ColdFlags      int           // BENCH_COLD_FLAGS (1000)
	SnapshotFlags  int           // BENCH_SNAPSHOT_FLAGS (10000)
	WriterDuration time.Duration // BENCH_WRITER_DURATION (15s)
	WriterConc     int           // BENCH_WRITER_CONC (16)
	Noisy          float64       // BENCH_NOISY (25): others' CPU share (%) above which a pair is measured again
	Retries        int           // BENCH_RETRIES (2; quick: 0): how many pairs one run may measure again
	Streams        int           // BENCH_STREAMS (10000): event streams of scenarios 8 and 9
	StreamChanges  int           // BENCH_STREAM_CHANGES (20; quick: 5): changes announced in scenario 8
	Profile        bool          // BENCH_PROFILE (1): perf profiles of the evaluator and of the whole machine (scenario 7) under extra, unmeasured loads, when perf exists
}

// FromEnv reads the configuration.
func FromEnv() (Config, error) {
	c := Config{Quick: os.Getenv("BENCH_QUICK") == "1"}
	q := func(full, quick string) string {
		if c.Quick {
			return quick
		}
		return full
	}
	var err error
	dur := func(name, def string) time.Duration {
		v := envOr(name, def)
		d, e := time.ParseDuration(v)
		if e != nil && err == nil {
			err = fmt.Errorf("%s=%q: %w", name, v, e)
		}
		return d
	}
	num := func(name, def string) float64 {
		v := envOr(name, def)
		f, e := strconv.ParseFloat(v, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("%s=%q: %w", name, v, e)
		}
		return f
	}
	c.OutDir = os.Getenv("BENCH_OUT")
	c.Source = envOr("BENCH_SOURCE", "head")
	c.SourceDir = os.Getenv("BENCH_SOURCE_DIR")
	c.Wrk = WrkSettings{Threads: 2, Conns: 64, Duration: dur("BENCH_WRK_DURATION", q("15s", "3s")), Warmup: dur("BENCH_WRK_WARMUP", q("5s", "1s"))}
	c.CeilingWarm = dur("BENCH_CEILING_WARMUP", q("2s", "1s"))
	c.OpenDuration = dur("BENCH_OPEN_DURATION", q("10s", "2s"))
	c.OpenWarmup = dur("BENCH_OPEN_WARMUP", q("2s", "1s"))
	c.Rate1 = num("BENCH_RATE_1", "4000")
	c.Rate2 = num("BENCH_RATE_2", "1000")
	c.Rate3 = num("BENCH_RATE_3", "100")
	c.PropChanges = int(num("BENCH_PROP_CHANGES", q("500", "40")))
	c.ColdEnvs = int(num("BENCH_COLD_ENVS", q("100", "20")))
	c.ColdFlags = int(num("BENCH_COLD_FLAGS", "1000"))
	c.SnapshotFlags = int(num("BENCH_SNAPSHOT_FLAGS", "10000"))
	c.WriterDuration = dur("BENCH_WRITER_DURATION", q("15s", "3s"))
	c.WriterConc = int(num("BENCH_WRITER_CONC", "16"))
	c.Streams = int(num("BENCH_STREAMS", "10000"))
	c.StreamChanges = int(num("BENCH_STREAM_CHANGES", q("20", "5")))
	c.Profile = envOr("BENCH_PROFILE", "1") == "1"
	c.Noisy = num("BENCH_NOISY", "25")
	c.Retries = int(num("BENCH_RETRIES", q("2", "0")))
	if s := os.Getenv("BENCH_SCENARIOS"); s != "" {
		c.Scenarios = map[string]bool{}
		for _, id := range strings.Split(s, ",") {
			c.Scenarios[strings.TrimSpace(id)] = true
		}
	}
	return c, err
}

// Settings lists the effective configuration for the report.
func (c Config) Settings() map[string]string {
	return map[string]string{
		"BENCH_SOURCE": c.Source, "BENCH_QUICK": fmt.Sprint(map[bool]int{false: 0, true: 1}[c.Quick]), "BENCH_WRK_DURATION": c.Wrk.Duration.String(),
		"BENCH_WRK_WARMUP": c.Wrk.Warmup.String(), "BENCH_OPEN_DURATION": c.OpenDuration.String(),
		"BENCH_OPEN_WARMUP": c.OpenWarmup.String(),
		"BENCH_RATE_1":      fmt.Sprint(c.Rate1), "BENCH_RATE_2": fmt.Sprint(c.Rate2), "BENCH_RATE_3": fmt.Sprint(c.Rate3),
		"BENCH_PROP_CHANGES": fmt.Sprint(c.PropChanges), "BENCH_COLD_ENVS": fmt.Sprint(c.ColdEnvs),
		"BENCH_COLD_FLAGS": fmt.Sprint(c.ColdFlags), "BENCH_SNAPSHOT_FLAGS": fmt.Sprint(c.SnapshotFlags),
		"BENCH_WRITER_DURATION": c.WriterDuration.String(), "BENCH_WRITER_CONC": fmt.Sprint(c.WriterConc),
		"BENCH_NOISY": fmt.Sprint(c.Noisy), "BENCH_RETRIES": fmt.Sprint(c.Retries),
		"BENCH_STREAMS": fmt.Sprint(c.Streams), "BENCH_STREAM_CHANGES": fmt.Sprint(c.StreamChanges),
	}
}

func (c Config) wants(id string) bool { return c.Scenarios == nil || c.Scenarios[id] }

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
