package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/halyard-flags/halyard/shared/wire"
)

// BuildSnapshot is an environment snapshot of n mixed flags, as the writer would publish it.
func BuildSnapshot(envID, version int64, sdkKey string, n int) (*wire.Snapshot, error) {
	flags, err := DomainFlags(MixedFlags("s", n), 1)
	if err != nil {
		return nil, err
	}
	return &wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: envID, Version: version,
		PublishedAt: time.Now().UnixMilli(), Keys: []wire.Key{{Kind: wire.KindSDK, Value: sdkKey}}, Flags: flags}, nil
}

// timing is what timed measured: the fastest and the median run, and the bytes allocated per run.
type timing struct {
	best, median time.Duration
	alloc        uint64
}

// timed runs fn reps times. On a shared machine other processes only ever slow a run down, so the fastest
// run is the cost of the code and the median shows the interference.
func timed(reps int, fn func() error) (timing, error) {
	var ds []time.Duration
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range reps {
		t0 := time.Now()
		if err := fn(); err != nil {
			return timing{}, err
		}
		ds = append(ds, time.Since(t0))
	}
	runtime.ReadMemStats(&after)
	slices.Sort(ds)
	return timing{best: ds[0], median: ds[len(ds)/2], alloc: (after.TotalAlloc - before.TotalAlloc) / uint64(reps)}, nil
}

// scenario6 measures shared/wire and shared/eval in this process: encode, decode and compile of one
// environment of SnapshotFlags flags (medians), with a CPU profile of decode + compile.
func (r *Runner) scenario6(ctx context.Context) Scenario {
	s := Scenario{ID: "6", Title: fmt.Sprintf("Snapshot: encode / decode / compile of %d flags (shared/wire + shared/eval, in process)", r.Cfg.SnapshotFlags), Status: StatusOK}
	snap, err := BuildSnapshot(1, 1, "phc_snapshot", r.Cfg.SnapshotFlags)
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	reps := 7
	if r.Cfg.Quick {
		reps = 3
	}
	var data []byte
	enc, err := timed(reps, func() (err error) { data, err = wire.Encode(snap); return err })
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	var decoded *wire.Snapshot
	dec, err := timed(reps, func() (err error) { decoded, err = wire.Decode(data); return err })
	if err != nil {
		s.Status, s.Note = StatusError, err.Error()
		return s
	}
	var engine *eval.Engine
	comp, _ := timed(reps, func() error {
		engine = eval.Compile(eval.Definitions{Flags: decoded.Flags, Cohorts: decoded.Cohorts, GroupTypes: decoded.GroupTypes})
		return nil
	})
	if engine.Len() != r.Cfg.SnapshotFlags || len(engine.Problems()) > 0 {
		s.Status, s.Note = StatusError, fmt.Sprintf("compiled %d flags with %d problems", engine.Len(), len(engine.Problems()))
		return s
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	row := func(t timing) string {
		return fmt.Sprintf("ms (median of %d: %.2f ms), %.1f MiB allocated", reps, ms(t.median), mb(t.alloc))
	}
	s.Metrics = []Metric{
		{Name: "snapshot size", Value: float64(len(data)) / 1024, Unit: fmt.Sprintf("KiB (%d bytes, %.0f bytes/flag)", len(data), float64(len(data))/float64(r.Cfg.SnapshotFlags))},
		{Name: "encode (fastest run)", Value: ms(enc.best), Unit: row(enc)},
		{Name: "decode (fastest run)", Value: ms(dec.best), Unit: row(dec)},
		{Name: "compile (fastest run)", Value: ms(comp.best), Unit: row(comp)},
		{Name: "decode + compile (fastest runs)", Value: ms(dec.best + comp.best), Unit: fmt.Sprintf("ms (medians: %.2f ms)", ms(dec.median+comp.median))},
	}
	s.Targets = []Target{
		{What: fmt.Sprintf("snapshot encode, %d flags", r.Cfg.SnapshotFlags), Goal: "≤ " + durText(snapshotEncode),
			Measured: fmt.Sprintf("%s (median %s)", msOf(enc.best), msOf(enc.median)), Met: enc.best <= snapshotEncode},
		{What: fmt.Sprintf("snapshot decode + compile, %d flags", r.Cfg.SnapshotFlags), Goal: "≤ " + durText(snapshotDecodeCompile),
			Measured: fmt.Sprintf("%s (medians %s)", msOf(dec.best+comp.best), msOf(dec.median+comp.median)), Met: dec.best+comp.best <= snapshotDecodeCompile},
	}
	if top, err := r.profileInProcess(ctx, "snapshot-decode-compile", func() {
		d, _ := wire.Decode(data)
		eval.Compile(eval.Definitions{Flags: d.Flags})
	}); err == nil {
		r.snapshotProfile = top
	} else {
		r.logf("snapshot profile: %v", err)
	}
	s.Note = "Measured in the harness process on the same snapshot shape the writer publishes (half static rollouts, half " +
		"targeted flags with icontains / exact list / gte / regex conditions). Each step runs several times; the fastest run " +
		"is the code's cost (other processes only slow runs down), the median shows the interference."
	return s
}

// profileInProcess CPU-profiles fn (repeated for about two seconds) and returns `go tool pprof -top` output.
func (r *Runner) profileInProcess(ctx context.Context, name string, fn func()) (string, error) {
	path := filepath.Join(r.Cfg.WorkDir, name+".pprof")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return "", err
	}
	for t0 := time.Now(); time.Since(t0) < 2*time.Second && ctx.Err() == nil; {
		fn()
	}
	pprof.StopCPUProfile()
	f.Close()
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=22", "-show_from=shared/wire.Decode|shared/eval.Compile", path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pprof: %w: %s", err, out.String())
	}
	return out.String(), nil
}

func encodeSnapshot(s *wire.Snapshot) ([]byte, error) { return wire.Encode(s) }
