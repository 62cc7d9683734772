// Command writer runs Halyard's admin API and outbox publisher. Configuration comes from the environment;
// run with -h to list it.
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

	"github.com/halyard-flags/halyard/services/writer/internal/app"
	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/shared/buildinfo"
	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/logging"
	"go.uber.org/zap"
)

func main() { os.Exit(run()) }

func run() int {
	healthcheck := flag.Bool("healthcheck", false, "probe the local writer's /readyz and exit 0 when ready")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: writer [-healthcheck] [-version]\n\n%s\n", config.Help)
	}
	flag.Parse()
	if *version {
		fmt.Println("writer", buildinfo.Get())
		return 0
	}
	cfg, err := config.FromEnv()
	err = errors.Join(err, cfg.Validate())
	if *healthcheck {
		if err := httpserve.Healthcheck(cfg.Addr, "/readyz"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "writer: configuration: %s\n\n%s\n", strings.ReplaceAll(err.Error(), "\n", "; "), config.Help)
		return 2
	}
	log, err := logging.New(cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer log.Sync() //nolint:errcheck
	log.Info("starting writer", zap.Any("config", cfg.Redacted()))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, log, nil); err != nil {
		log.Error("writer stopped", zap.Error(err))
		return 1
	}
	log.Info("writer stopped")
	return 0
}
