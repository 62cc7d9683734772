package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Options says what to start. Zero values pick test-friendly defaults: random ports, an in-process NATS and
// a fresh database on the local PostgreSQL service. What WorkDir holds (the NATS store, the throwaway
// PostgreSQL's data) is reused when Start finds it there.
type Options struct {
	Root           string   // repository root (default: found from the working directory)
	WorkDir        string   // binaries, NATS store, temp Postgres (required)
	NATSURL        string   // use this NATS instead of starting one in process
	NATSPort       int      // in-process NATS port (0 = random)
	NATSUser       string   // when set, the in-process NATS admits only this user, with NATSPassword
	NATSPassword   string   // with NATSUser
	DatabaseURL    string   // use this database as is
	AdminURL       string   // else create a fresh database on this server (default DefaultAdminURL)
	TempPostgres   bool     // else start a throwaway initdb cluster (when neither URL is given)
	PGPort         int      // port of the throwaway cluster
	KeepDatabase   bool     // use the database named halyard (created when missing) and keep it at Stop
	WriterAddr     string   // default: a free port
	EvaluatorAddrs []string // default: two free ports
	AdminToken     string   // default: a fixed development token
	LogFormat      string   // json (default) or console
	UI             bool     // build the writer with -tags ui: it serves ui/dist, which must be built (npm run build)
	Logs           io.Writer
	// LameDuck is the processes' HALYARD_LAME_DUCK: how long a stopped process stays up, not ready. The
	// default, 0, stops them at once (tests, make dev); a test behind a load balancer sets it.
	LameDuck time.Duration

	// NATSAccounts, when set (and NATSUser is not), has the in-process NATS admit only these users, each
	// process connecting as its own (ComposeAccounts: the compose cluster's writer and evaluator users).
	NATSAccounts *Accounts
	WriterEnv    []string // more environment variables for writers (NAME=value)
	EvaluatorEnv []string // more environment variables for evaluators
	// NATSNodes, when 3, starts three routed in-process NATS servers instead of one (NATSPort and NATSUser
	// are then unused), and the writer creates the stream with 3 replicas.
	NATSNodes int
}

// Cluster is a running local Halyard.
type Cluster struct {
	Opts          Options
	NATS          *NATS        // nil when Options.NATSURL or NATSNodes was given
	NATSCluster   *NATSCluster // set when Options.NATSNodes was given
	NATSURL       string
	DatabaseURL   string
	Writer        *Process
	Evaluators    []*Process
	WriterBin     string
	EvaluatorBin  string
	dropDatabase  func(context.Context) error
	tempPostgres  *TempPostgres
	evaluatorSeen int
}

// DevAdminToken is the admin token of local clusters.
const DevAdminToken = "halyard-dev-admin-token"

// Start builds the binaries and starts NATS, PostgreSQL, one writer and the evaluators, and waits until all
// are ready.
func Start(ctx context.Context, o Options) (c *Cluster, err error) {
	o = o.withDefaults()
	c = &Cluster{Opts: o}
	defer func() {
		if err != nil {
			c.Stop(context.WithoutCancel(ctx))
		}
	}()
	if c.WriterBin, c.EvaluatorBin, err = Build(ctx, o.Root, filepath.Join(o.WorkDir, "bin"), o.writerTags()...); err != nil {
		return c, err
	}
	if err = c.startNATS(); err != nil {
		return c, err
	}
	if err = c.startDatabase(ctx); err != nil {
		return c, err
	}
	c.Writer = c.NewWriter(o.WriterAddr)
	if err = c.Writer.Start(); err != nil {
		return c, err
	}
	if err = c.Writer.WaitReady(ctx, 60*time.Second); err != nil {
		return c, err
	}
	for _, addr := range o.EvaluatorAddrs {
		ev := c.NewEvaluator(addr)
		if err = ev.Start(); err != nil {
			return c, err
		}
		c.Evaluators = append(c.Evaluators, ev)
	}
	for _, ev := range c.Evaluators {
		if err = ev.WaitReady(ctx, 60*time.Second); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (o Options) writerTags() []string {
	if o.UI {
		return []string{"ui"}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Root == "" {
		o.Root, _ = RepoRoot()
	}
	if o.AdminToken == "" {
		o.AdminToken = DevAdminToken
	}
	if o.LogFormat == "" {
		o.LogFormat = "json"
	}
	if o.Logs == nil {
		o.Logs = io.Discard
	}
	if o.NATSPort == 0 {
		o.NATSPort = -1
	}
	if o.WriterAddr == "" {
		o.WriterAddr, _ = FreeAddr()
	}
	if o.EvaluatorAddrs == nil {
		a, _ := FreeAddr()
		b, _ := FreeAddr()
		o.EvaluatorAddrs = []string{a, b}
	}
	return o
}

func (c *Cluster) startNATS() error {
	if c.Opts.NATSURL != "" {
		c.NATSURL = c.Opts.NATSURL
		return nil
	}
	if c.Opts.NATSNodes > 1 {
		nc, err := StartNATSCluster(c.Opts.NATSNodes, filepath.Join(c.Opts.WorkDir, "nats"))
		if err != nil {
			return err
		}
		c.NATSCluster, c.NATSURL = nc, nc.URL()
		return nil
	}
	dir := filepath.Join(c.Opts.WorkDir, "nats")
	start := func() (*NATS, error) {
		return StartNATSWithUser(c.Opts.NATSPort, dir, c.Opts.NATSUser, c.Opts.NATSPassword)
	}
	if c.Opts.NATSAccounts != nil && c.Opts.NATSUser == "" {
		start = func() (*NATS, error) { return StartNATSWithAccounts(c.Opts.NATSPort, dir, c.Opts.NATSAccounts) }
	}
	n, err := start()
	if err != nil {
		return err
	}
	c.NATS, c.NATSURL = n, n.URL()
	return nil
}

func (c *Cluster) startDatabase(ctx context.Context) error {
	o := c.Opts
	switch {
	case o.DatabaseURL != "":
		c.DatabaseURL = o.DatabaseURL
		return nil
	case o.TempPostgres && o.AdminURL == "":
		dir := filepath.Join(o.WorkDir, "postgres")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		pg, err := StartTempPostgres(ctx, dir, o.PGPort)
		if err != nil {
			return err
		}
		c.tempPostgres = pg
		o.AdminURL = pg.URL()
	case o.AdminURL == "":
		o.AdminURL = DefaultAdminURL
	}
	if o.KeepDatabase {
		url, err := EnsureDatabase(ctx, o.AdminURL, "halyard")
		c.DatabaseURL = url
		return err
	}
	url, drop, err := FreshDatabase(ctx, o.AdminURL, "halyard")
	if err != nil {
		return err
	}
	c.DatabaseURL, c.dropDatabase = url, drop
	return nil
}

// NewWriter returns (unstarted) a writer process of this cluster listening on addr, with its admin
// listener (metrics, status) on a free address of its own.
func (c *Cluster) NewWriter(addr string) *Process {
	admin, _ := FreeAddr()
	p := &Process{Name: "writer", Bin: c.WriterBin, Addr: addr, AdminAddr: admin, Log: prefixed(c.Opts.Logs, "writer"), Env: []string{
		"DATABASE_URL=" + c.DatabaseURL, "NATS_URL=" + c.natsURL((*NATS).WriterURL), "WRITER_ADDR=" + addr, "HALYARD_ADMIN_ADDR=" + admin,
		"HALYARD_ADMIN_TOKEN=" + c.Opts.AdminToken, "HALYARD_LOG_FORMAT=" + c.Opts.LogFormat,
		"HALYARD_LAME_DUCK=" + c.Opts.LameDuck.String(),
	}}
	p.Env = append(p.Env, c.Opts.WriterEnv...)
	if c.NATSCluster != nil {
		p.Env = append(p.Env, "HALYARD_STREAM_REPLICAS=3")
	}
	if len(c.Opts.EvaluatorAddrs) > 0 { // the admin UI's SDK snippets point at the first evaluator
		p.Env = append(p.Env, "HALYARD_EVALUATOR_URL=http://"+c.Opts.EvaluatorAddrs[0])
	}
	return p
}

// NewEvaluator returns (unstarted) an evaluator process of this cluster listening on addr, with its admin
// listener (metrics, status) on a free address of its own.
func (c *Cluster) NewEvaluator(addr string) *Process {
	c.evaluatorSeen++
	name := fmt.Sprintf("evaluator-%d", c.evaluatorSeen)
	admin, _ := FreeAddr()
	return &Process{Name: name, Bin: c.EvaluatorBin, Addr: addr, AdminAddr: admin, Log: prefixed(c.Opts.Logs, name), Env: append([]string{
		"NATS_URL=" + c.natsURL((*NATS).EvaluatorURL), "EVALUATOR_ADDR=" + addr, "HALYARD_ADMIN_ADDR=" + admin, "HALYARD_LOG_FORMAT=" + c.Opts.LogFormat,
		"HALYARD_LAME_DUCK=" + c.Opts.LameDuck.String(),
	}, c.Opts.EvaluatorEnv...)}
}

// natsURL is the URL a process connects to NATS with: its user's (url) on an in-process NATS, else NATSURL.
func (c *Cluster) natsURL(url func(*NATS) string) string {
	if c.NATS != nil {
		return url(c.NATS)
	}
	return c.NATSURL
}

// Stop stops every process, then NATS, then drops the fresh database it made and stops the throwaway
// PostgreSQL.
func (c *Cluster) Stop(ctx context.Context) error {
	var errs []error
	for _, ev := range c.Evaluators {
		errs = append(errs, ev.Stop(10*time.Second))
	}
	if c.Writer != nil {
		errs = append(errs, c.Writer.Stop(10*time.Second))
	}
	if c.NATS != nil {
		c.NATS.Stop()
	}
	if c.NATSCluster != nil {
		c.NATSCluster.Stop()
	}
	if c.dropDatabase != nil {
		errs = append(errs, c.dropDatabase(ctx))
	}
	if c.tempPostgres != nil {
		errs = append(errs, c.tempPostgres.Stop(ctx))
	}
	return errors.Join(errs...)
}
