// Command evaluator serves Halyard flag evaluations to SDKs from snapshots it follows on NATS JetStream.
// Configuration comes from the environment; run with -h to list it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/halyard-flags/halyard/services/evaluator/internal/app"
	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/logging"
	"go.uber.org/zap"
)

func main() { os.Exit(run()) }

func run() int {
	healthcheck := flag.Bool("healthcheck", false, "probe the local evaluator's /readyz and exit 0 when ready")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: evaluator [-healthcheck] [-version]\n\n%s\n", config.Help)
	}
	flag.Parse()
	if *version {
		fmt.Println("evaluator", buildinfo.Get())
		return 0
	}
	cfg, cfgErr := config.FromEnv()
	if *healthcheck {
		if err := httpserve.Healthcheck(cfg.Addr, "/readyz"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	if err := errors.Join(cfgErr, cfg.Validate()); err != nil {
		fmt.Fprintf(os.Stderr, "evaluator: configuration: %s\n\n%s\n", strings.ReplaceAll(err.Error(), "\n", "; "), config.Help)
		return 2
	}
	log, err := logging.New(cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer log.Sync() //nolint:errcheck
	log.Info("starting evaluator", zap.Any("config", cfg.Redacted()))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, log, nil); err != nil {
		log.Error("evaluator stopped", zap.Error(err))
		return 1
	}
	log.Info("evaluator stopped")
	return 0
}
