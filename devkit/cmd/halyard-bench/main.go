// Command halyard-bench is `make bench`: it builds the binaries, starts a local cluster on loopback, runs the
// benchmark scenarios (devkit/bench/targets.go) against it and a reference ceiling, and writes
// docs/benchmarks.md and docs/benchmarks.json. BENCH_QUICK=1 runs everything briefly; BENCH_* variables (devkit/bench/config.go) set
// durations, rates and sizes. `halyard-bench ceiling ADDR` serves the reference ceiling (the harness starts it).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/halyard-flags/halyard/devkit/bench"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) == 3 && os.Args[1] == "ceiling" {
		err = bench.ServeCeiling(ctx, os.Args[2])
	} else {
		err = run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "halyard-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := bench.FromEnv()
	if err != nil {
		return err
	}
	if cfg.Root, err = cluster.RepoRoot(); err != nil {
		return err
	}
	if cfg.OutDir == "" {
		// A quick run is a smoke test: it must not replace the committed report with its short figures.
		cfg.OutDir = filepath.Join(cfg.Root, "docs")
		if cfg.Quick {
			cfg.OutDir = filepath.Join(os.TempDir(), "halyard-bench-quick")
		}
	}
	if cfg.Source == "head" && cfg.SourceDir == "" {
		return fromHEAD(ctx, cfg.Root)
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (Debian: apt-get install -y wrk; `make bench` installs it when it can)")
	}
	if cfg.WorkDir, err = os.MkdirTemp("", "halyard-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(cfg.WorkDir)
	rep, err := bench.Run(ctx, cfg, os.Stderr)
	if rep == nil {
		return err
	}
	if cfg.Quick || err != nil {
		rep.History = nil // only complete full runs are history
	} else if rep.History, err = bench.ReadHistory(filepath.Join(cfg.OutDir, "benchmarks-history.json")); err != nil {
		return err
	} else {
		rep.History.Add(bench.HistoryRunOf(rep))
	}
	if werr := write(cfg.OutDir, rep); werr != nil {
		return werr
	}
	fmt.Fprintf(os.Stderr, "halyard-bench: wrote %s and %s\n", filepath.Join(cfg.OutDir, "benchmarks.md"), filepath.Join(cfg.OutDir, "benchmarks.json"))
	return err
}

// fromHEAD exports HEAD, builds this command from the export and runs it there, so the cluster's binaries
// and the in-process measurements (snapshot codec, engine) are all exactly the reported commit, whatever
// other engineers have uncommitted in the work tree.
func fromHEAD(ctx context.Context, root string) error {
	dir, err := os.MkdirTemp("", "halyard-bench-src-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := bench.ExportHEAD(ctx, root, dir); err != nil {
		return err
	}
	bin := filepath.Join(dir, "halyard-bench")
	// -trimpath keeps the build cache valid across exports into different directories: only what changed
	// since the last run is compiled again (GOFLAGS carries it to the cluster's builds too).
	goflags := strings.TrimSpace(os.Getenv("GOFLAGS") + " -trimpath")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./devkit/cmd/halyard-bench")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS="+goflags)
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build halyard-bench from HEAD: %w\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "BENCH_SOURCE_DIR="+dir, "GOFLAGS="+goflags)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

func write(dir string, rep *bench.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]func(*os.File) error{
		"benchmarks.md":   func(f *os.File) error { return rep.WriteMarkdown(f) },
		"benchmarks.json": func(f *os.File) error { return rep.WriteJSON(f) },
	}
	if rep.History != nil {
		files["benchmarks-history.json"] = func(f *os.File) error {
			enc := json.NewEncoder(f)
			enc.SetIndent("", "  ")
			return enc.Encode(rep.History)
		}
	}
	for name, render := range files {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := render(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
