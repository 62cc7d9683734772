// Command halyard-dev runs the whole local cluster for development (`make dev`): NATS with JetStream
// (in process, or NATS_URL), PostgreSQL (a throwaway initdb cluster, or DATABASE_URL), the writer on
// 127.0.0.1:8080 and two evaluators on :8081 and :8082; it creates a demo project, environment and flags,
// prints what to try, and stops everything cleanly on Ctrl-C.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "halyard-dev:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := cluster.RepoRoot()
	if err != nil {
		return err
	}
	work := filepath.Join(root, ".dev")
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	pgPort, err := freePort()
	if err != nil {
		return err
	}
	fmt.Println("halyard-dev: building binaries and starting NATS, PostgreSQL, the writer and two evaluators ...")
	c, err := cluster.Start(ctx, cluster.Options{
		Root: root, WorkDir: work, NATSURL: os.Getenv("NATS_URL"), DatabaseURL: os.Getenv("DATABASE_URL"),
		TempPostgres: true, PGPort: pgPort, WriterAddr: envOr("WRITER_ADDR", "127.0.0.1:8080"),
		EvaluatorAddrs: []string{"127.0.0.1:8081", "127.0.0.1:8082"}, AdminToken: envOr("HALYARD_ADMIN_TOKEN", cluster.DevAdminToken),
		LogFormat: "console", Logs: os.Stdout,
	})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("halyard-dev: stopping ...")
		if err := c.Stop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "halyard-dev: stop:", err)
		}
	}()
	env, err := seedDemo(ctx, c)
	if err != nil {
		return err
	}
	printWelcome(c, env)
	<-ctx.Done()
	return nil
}

func freePort() (int, error) {
	addr, err := cluster.FreeAddr()
	if err != nil {
		return 0, err
	}
	var port int
	_, err = fmt.Sscanf(addr, "127.0.0.1:%d", &port)
	return port, err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

