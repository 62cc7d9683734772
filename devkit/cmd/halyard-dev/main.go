// Command halyard-dev runs the whole local cluster for development (`make dev`): NATS with JetStream
// (in process, or NATS_URL), PostgreSQL (a throwaway initdb cluster, or DATABASE_URL), the writer on
// 127.0.0.1:8080 and two evaluators on :8081 and :8082; it creates a demo project, environment and flags,
// prints what to try, and stops everything cleanly on Ctrl-C, SIGTERM or a closed terminal (SIGHUP).
//
// Everything lives in the repository's .dev directory and is kept between runs: the PostgreSQL data, the
// NATS store and the demo environment with its keys. A second run while one is running is refused before
// it touches anything; -reset (`make dev-reset`) wipes .dev when no run holds it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

// stopSignals end a run: Ctrl-C, a service manager's SIGTERM, and SIGHUP from a terminal that was closed.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

func main() {
	dir := flag.String("dir", "", "work directory (default: .dev in the repository)")
	reset := flag.Bool("reset", false, "wipe the work directory (refused while a run holds it) and exit")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	root, err := cluster.RepoRoot()
	if err == nil {
		if *dir == "" {
			*dir = filepath.Join(root, ".dev")
		}
		if *reset {
			err = resetWork(ctx, os.Stdout, *dir)
		} else {
			err = run(ctx, os.Stdout, os.Getenv, root, *dir)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "halyard-dev:", err)
		os.Exit(1)
	}
}

// run starts the cluster from the repository at root, working in work (whatever the last run left there is
// reused), seeds or finds the demo, prints what to try to out, and stops everything when ctx ends. It
// refuses, changing nothing, while another run holds work or the addresses it would listen on are taken.
func run(ctx context.Context, out io.Writer, getenv func(string) string, root, work string) error {
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	writerAddr := or("WRITER_ADDR", "127.0.0.1:8080")
	evaluatorAddrs := strings.Fields(or("EVALUATOR_ADDRS", "127.0.0.1:8081 127.0.0.1:8082"))
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	release, err := lockWork(work)
	if err != nil {
		return err
	}
	defer release()
	if err := checkFree(append([]string{writerAddr}, evaluatorAddrs...)...); err != nil {
		return err
	}
	pgPort, err := freePort()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "halyard-dev: building binaries and starting NATS, PostgreSQL, the writer and the evaluators ...")
	c, err := cluster.Start(ctx, cluster.Options{
		Root: root, WorkDir: work, NATSURL: getenv("NATS_URL"), DatabaseURL: getenv("DATABASE_URL"),
		TempPostgres: true, PGPort: pgPort, KeepDatabase: true, WriterAddr: writerAddr, EvaluatorAddrs: evaluatorAddrs,
		AdminToken: or("HALYARD_ADMIN_TOKEN", cluster.DevAdminToken), LogFormat: "console", Logs: out,
		UI: uiBuilt(root),
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
	env, kept, err := demoEnvironment(ctx, c, work)
	if err != nil {
		return err
	}
	newWelcome(ctx, c, env, kept).print(out)
	<-ctx.Done()
	return nil
}

// uiBuilt reports whether the admin UI's assets are built (make dev builds them when npm is there): the
// writer then embeds and serves them; otherwise it serves the page saying how to build them.
func uiBuilt(root string) bool {
	_, err := os.Stat(filepath.Join(root, "ui", "dist", "index.html"))
	return err == nil
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
