// Command halyard-seed prepares a fresh Halyard for use: it waits until the writer is ready, makes sure a
// demo project and environment exist (it creates them only when missing, so running it again is harmless)
// and prints the environment's id and SDK key as KEY=value lines. The compose cluster runs it once, as a
// one-shot service, after the writer is healthy.
//
//	HALYARD_WRITER_URL        the writer's admin API (default http://writer:8080)
//	HALYARD_ADMIN_TOKEN       an admin token (required)
//	HALYARD_SEED_PROJECT      the project's name (default Demo)
//	HALYARD_SEED_ENVIRONMENT  the environment's name (default development)
//	HALYARD_SEED_TIMEOUT      how long to wait for the writer (default 2m)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "halyard-seed:", err)
		os.Exit(1)
	}
}

// config is what the environment says.
type config struct {
	WriterURL, Token, Project, Environment string
	Timeout                                time.Duration
}

func configFromEnv(getenv func(string) string) (config, error) {
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := config{
		WriterURL:   or("HALYARD_WRITER_URL", "http://writer:8080"),
		Token:       getenv("HALYARD_ADMIN_TOKEN"),
		Project:     or("HALYARD_SEED_PROJECT", "Demo"),
		Environment: or("HALYARD_SEED_ENVIRONMENT", "development"),
	}
	var err error
	if c.Timeout, err = time.ParseDuration(or("HALYARD_SEED_TIMEOUT", "2m")); err != nil {
		return c, fmt.Errorf("HALYARD_SEED_TIMEOUT: %w", err)
	}
	if c.Token == "" {
		return c, errors.New("HALYARD_ADMIN_TOKEN is required")
	}
	return c, nil
}

func newClient(cfg config) *admin.Client { return admin.New(cfg.WriterURL, cfg.Token) }

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	cfg, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	cl := newClient(cfg)
	if err := waitReady(ctx, cl, cfg.Timeout, 250*time.Millisecond); err != nil {
		return err
	}
	res, err := ensure(ctx, cl, cfg.Project, cfg.Environment)
	if err != nil {
		return err
	}
	verb := "reused"
	if res.Created {
		verb = "created"
	}
	fmt.Fprintf(out, "halyard-seed: %s project %q (id %d), environment %q (id %d)\n",
		verb, cfg.Project, res.ProjectID, cfg.Environment, res.EnvironmentID)
	fmt.Fprintf(out, "HALYARD_ENVIRONMENT_ID=%d\nHALYARD_SDK_KEY=%s\n", res.EnvironmentID, res.SDKKey)
	return nil
}
