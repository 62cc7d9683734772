package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// Runner runs the scenarios against one cluster and collects the report.
type Runner struct {
	Cfg     Config
	Out     io.Writer // progress lines
	Cluster *cluster.Cluster
	Admin   *admin.Client
	Report  *Report
	HTTP    *http.Client

	ceilingAddr     string
	ceilingBody     [][]byte
	profiles        []*Profile
	snapshotProfile string
	writerProfile   *SystemProfile
	writerWaits     string
	writerPerCommit float64 // scenario 7: edits per environment version
	encoding        []EncodingCost
	retries         int                          // pairs measured again so far
	envs            map[string]admin.Environment // by scenario name: "s1", "s2", "s3", "w"
}

func (r *Runner) logf(format string, args ...any) {
	fmt.Fprintf(r.Out, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// Run does the whole benchmark and returns the report; the caller writes it.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Report, error) {
	start := time.Now()
	r := &Runner{Cfg: cfg, Out: out, HTTP: &http.Client{Timeout: 10 * time.Second}, envs: map[string]admin.Environment{}}
	r.Report = &Report{GeneratedAt: start, Machine: DescribeMachine(), Mode: map[bool]string{false: "full", true: "quick"}[cfg.Quick],
		Settings: cfg.Settings()}
	r.Report.Commit, r.Report.CommitTitle, r.Report.Dirty = gitCommit(cfg.Root)
	r.Report.Dirty = r.Report.Dirty && cfg.Source == "worktree"
	r.Report.Commands = commands(cfg)
	r.logf("machine: %d CPUs, %s; load %s", r.Report.Machine.NProc, r.Report.Machine.CPUModel, r.Report.Machine.LoadAvg)

	if err := r.startCluster(ctx); err != nil {
		return nil, err
	}
	defer func() {
		r.logf("stopping the cluster")
		_ = r.Cluster.Stop(context.WithoutCancel(ctx))
	}()
	if err := r.seed(ctx); err != nil {
		return nil, err
	}
	stopCeiling, err := r.startCeiling(ctx)
	if err != nil {
		return nil, err
	}
	defer stopCeiling()

	steps := []struct {
		id string
		fn func(context.Context) Scenario
	}{
		{"1", r.scenario1}, {"2", r.scenario2}, {"3", r.scenario3}, {"4", r.scenario4},
		{"7", r.scenario7}, {"6", r.scenario6}, {"5", r.scenario5}, {"8", r.scenario8}, {"9", r.scenario9},
	}
	for _, s := range steps {
		if !cfg.wants(s.id) || ctx.Err() != nil {
			continue
		}
		r.logf("scenario %s", s.id)
		before := sampleCPU()
		sc := s.fn(ctx)
		sc.Metrics = append(sc.Metrics, Metric{Name: "other processes' CPU during this scenario (share of the machine)",
			Value: math.Round(othersPercent(before, sampleCPU())), Unit: "%"})
		r.logf("scenario %s: %s %s", s.id, sc.Status, sc.Note)
		r.Report.Scenarios = append(r.Report.Scenarios, sc)
	}
	sortScenarios(r.Report.Scenarios)
	r.Report.AddRatios()
	r.finishTargets()
	r.Report.Findings = append(r.Report.Findings, r.findings()...)
	r.Report.Summary = r.summary()
	r.Report.Duration = time.Since(start).Round(time.Second).String()
	return r.Report, ctx.Err()
}

func (r *Runner) startCluster(ctx context.Context) error {
	addrs := make([]string, 3)
	for i := range addrs {
		addrs[i], _ = cluster.FreeAddr()
	}
	root, err := r.sourceTree(ctx)
	if err != nil {
		return err
	}
	o := cluster.Options{Root: root, WorkDir: r.Cfg.WorkDir, EvaluatorAddrs: addrs, DatabaseURL: os.Getenv("DATABASE_URL"),
		AdminURL: os.Getenv("BENCH_ADMIN_DATABASE_URL")}
	if o.DatabaseURL == "" && o.AdminURL == "" && !reachable("127.0.0.1:5432") {
		o.TempPostgres = true
		port, _ := cluster.FreeAddr()
		fmt.Sscanf(port, "127.0.0.1:%d", &o.PGPort)
	}
	r.logf("building binaries and starting NATS, PostgreSQL (%s), the writer and 3 evaluators", pgDescription(o))
	c, err := cluster.Start(ctx, o)
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	r.Cluster = c
	r.Admin = admin.New(c.Writer.URL(), c.Opts.AdminToken)
	return nil
}

// sourceTree is the tree the binaries are built from: by default a clean export of HEAD (git archive), so
// the report's commit is exactly what ran, and other engineers' uncommitted edits in the work tree neither
// break the build nor leak into the figures; BENCH_SOURCE=worktree builds the work tree as it is.
func (r *Runner) sourceTree(ctx context.Context) (string, error) {
	if r.Cfg.Source == "worktree" {
		return r.Cfg.Root, nil
	}
	if r.Cfg.SourceDir != "" {
		return r.Cfg.SourceDir, nil
	}
	dir := filepath.Join(r.Cfg.WorkDir, "src")
	return dir, ExportHEAD(ctx, r.Cfg.Root, dir)
}

// ExportHEAD writes the tree of the repository's HEAD commit into dir.
func ExportHEAD(ctx context.Context, root, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", "git archive --format=tar HEAD | tar -x -C \""+dir+"\"")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("export HEAD: %w: %s", err, out)
	}
	return nil
}

func pgDescription(o cluster.Options) string {
	switch {
	case o.DatabaseURL != "":
		return "DATABASE_URL"
	case o.TempPostgres:
		return "a throwaway initdb cluster"
	default:
		return "a fresh database on the local server"
	}
}

func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// seed creates the environments of scenarios 1-3 and 7 through the admin API and waits until every evaluator
// serves them.
func (r *Runner) seed(ctx context.Context) error {
	sets := []struct {
		name  string
		flags []map[string]any
	}{
		{"s1", []map[string]any{TargetedFlag("targeted")}},
		{"s2", append(MixedFlags("f", 49), StaticFlag("propagation", 0))},
		{"s3", MixedFlags("k", 1000)},
		{"w", MixedFlags("w", 50)},
	}
	for _, s := range sets {
		if s.name == "s3" && !r.Cfg.wants("3") {
			continue
		}
		t0 := time.Now()
		env, err := r.Admin.CreateProjectAndEnvironment(ctx, "bench-"+s.name, "production")
		if err != nil {
			return fmt.Errorf("create environment %s: %w", s.name, err)
		}
		if err := r.loadFlags(ctx, env.ID, s.flags); err != nil {
			return fmt.Errorf("environment %s: %w", s.name, err)
		}
		if err := r.waitServed(ctx, env.SDKKey, len(s.flags), 60*time.Second); err != nil {
			return fmt.Errorf("environment %s: %w", s.name, err)
		}
		r.envs[s.name] = env
		r.logf("environment %s: %d flags created and served by every evaluator in %s", s.name, len(s.flags), time.Since(t0).Round(time.Millisecond))
	}
	return nil
}

// loadFlags loads a large set with one import call (one transaction, one version) when the writer has the
// import endpoint, and otherwise, or for small sets, creates the flags one by one.
func (r *Runner) loadFlags(ctx context.Context, envID int64, flags []map[string]any) error {
	if len(flags) < 100 {
		return r.createFlags(ctx, envID, flags)
	}
	docs := make([]map[string]any, len(flags))
	for i, f := range flags {
		d := map[string]any{"active": true}
		for k, v := range f {
			d[k] = v
		}
		docs[i] = d
	}
	_, err := r.Admin.Do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/environments/%d/import", envID), map[string]any{"flags": docs}, nil)
	var ae *admin.Error
	if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed) {
		r.logf("no import endpoint (%v): creating %d flags one by one", err, len(flags))
		return r.createFlags(ctx, envID, flags)
	}
	return err
}

// createFlags creates flags with a few concurrent admin clients.
func (r *Runner) createFlags(ctx context.Context, envID int64, flags []map[string]any) error {
	work := make(chan map[string]any)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if _, err := r.Admin.Do(ctx, http.MethodPost, admin.FlagsPath(envID), f, nil); err != nil {
					select {
					case errs <- fmt.Errorf("create %v: %w", f["key"], err):
					default:
					}
				}
			}
		}()
	}
	for _, f := range flags {
		work <- f
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// waitServed polls every evaluator until /flags answers n flags for sdkKey.
func (r *Runner) waitServed(ctx context.Context, sdkKey string, n int, timeout time.Duration) error {
	return r.waitServedBy(ctx, r.Cluster.Evaluators, sdkKey, n, timeout)
}

func (r *Runner) waitServedBy(ctx context.Context, evs []*cluster.Process, sdkKey string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, ev := range evs {
		for {
			resp, _, err := admin.Flags(ctx, r.HTTP, ev.URL(), sdkKey, "bench-probe", nil)
			if err == nil && len(resp.Flags) == n {
				break
			}
			if time.Now().After(deadline) {
				got := 0
				if resp != nil {
					got = len(resp.Flags)
				}
				return fmt.Errorf("%s serves %d of %d flags after %s (%v)", ev.Name, got, n, timeout, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func gitCommit(root string) (commit, title string, dirty bool) {
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		out, _ := cmd.Output()
		return strings.TrimSpace(string(out))
	}
	commit = run("rev-parse", "HEAD")
	title = run("log", "-1", "--format=%s")
	dirty = run("status", "--porcelain", "--untracked-files=no") != ""
	return
}

func commands(cfg Config) []string {
	env := ""
	if cfg.Quick {
		env = "BENCH_QUICK=1 "
	}
	return []string{
		env + "make bench",
		"# = go build -o bin/halyard-bench ./devkit/cmd/halyard-bench && bin/halyard-bench, which exports HEAD",
		"#   (git archive), rebuilds itself, the writer and the evaluator from the export, and runs from there",
		fmt.Sprintf("# closed loop, after a %s warm-up: wrk -t2 -c64 -d%s --timeout 5s -s <scenario>.lua <url>", cfg.Wrk.Warmup, cfg.Wrk.Duration),
		fmt.Sprintf("# open loop: devkit/loadgen at BENCH_RATE_n requests/s for %s after %s at the same rate not recorded (latency from each request's due time)", cfg.OpenDuration, cfg.OpenWarmup),
	}
}

func sortScenarios(s []Scenario) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].ID < s[j-1].ID; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func scriptDir(cfg Config) string {
	d := filepath.Join(cfg.WorkDir, "scripts")
	_ = os.MkdirAll(d, 0o755)
	return d
}
