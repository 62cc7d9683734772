// Command halyard-dev runs the whole local cluster for development (`make dev`): NATS with JetStream
// (in process, or NATS_URL), PostgreSQL (a throwaway initdb cluster, or DATABASE_URL), the writer on
// 127.0.0.1:8080 and two evaluators on :8081 and :8082; it creates a demo project, environment and flags,
// prints what to try, and stops everything cleanly on Ctrl-C.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := cluster.RepoRoot()
	if err == nil {
		err = run(ctx, os.Stdout, os.Getenv, root, filepath.Join(root, ".dev"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "halyard-dev:", err)
		os.Exit(1)
	}
}

// run starts the cluster from the repository at root, working in work (emptied first), seeds the demo,
// prints what to try to out, and stops everything when ctx ends.
func run(ctx context.Context, out io.Writer, getenv func(string) string, root, work string) error {
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
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fmt.Fprintln(out, "halyard-dev: building binaries and starting NATS, PostgreSQL, the writer and two evaluators ...")
	c, err := cluster.Start(ctx, cluster.Options{
		Root: root, WorkDir: work, NATSURL: getenv("NATS_URL"), DatabaseURL: getenv("DATABASE_URL"),
		TempPostgres: true, PGPort: pgPort, WriterAddr: or("WRITER_ADDR", "127.0.0.1:8080"),
		EvaluatorAddrs: strings.Fields(or("EVALUATOR_ADDRS", "127.0.0.1:8081 127.0.0.1:8082")),
		AdminToken:     or("HALYARD_ADMIN_TOKEN", cluster.DevAdminToken), LogFormat: "console", Logs: out,
	})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(out, "halyard-dev: stopping ...")
		if err := c.Stop(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintln(out, "halyard-dev: stop:", err)
		}
	}()
	env, err := seedDemo(ctx, c)
	if err != nil {
		return err
	}
	printWelcome(out, c, env)
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
