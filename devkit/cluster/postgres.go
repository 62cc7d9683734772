package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// DefaultAdminURL is the local PostgreSQL service the tests and `make dev` use unless told otherwise.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// FreshDatabase creates a uniquely named database on the server at adminURL and returns its URL and a
// function that drops it.
func FreshDatabase(ctx context.Context, adminURL, prefix string) (string, func(context.Context) error, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("cluster.FreshDatabase: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("cluster.FreshDatabase: %w", err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	}
	return u.String(), drop, nil
}

// TempPostgres is a throwaway PostgreSQL cluster made with initdb in a directory of its own.
type TempPostgres struct {
	Dir  string
	Port int
	bin  string
	user string // run the server as this OS user when we are root (PostgreSQL refuses to run as root)
}

// StartTempPostgres runs initdb and starts the server on 127.0.0.1:port with trust authentication.
func StartTempPostgres(ctx context.Context, dir string, port int) (*TempPostgres, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	p := &TempPostgres{Dir: filepath.Join(dir, "pgdata"), Port: port, bin: bin}
	if os.Geteuid() == 0 {
		p.user = "postgres"
		if err := exec.CommandContext(ctx, "chown", "-R", p.user, dir).Run(); err != nil {
			return nil, fmt.Errorf("cluster: chown %s: %w", dir, err)
		}
	}
	if out, err := p.command(ctx, "initdb", "-D", p.Dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cluster: initdb: %w\n%s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s -c fsync=off", port, dir)
	if out, err := p.command(ctx, "pg_ctl", "-D", p.Dir, "-o", opts, "-l", filepath.Join(dir, "postgres.log"), "-w", "start").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cluster: pg_ctl start: %w\n%s", err, out)
	}
	return p, nil
}

// URL is the admin URL of the cluster's postgres database.
func (p *TempPostgres) URL() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(p.Port) + "/postgres?sslmode=disable"
}

// Stop stops the server (fast shutdown).
func (p *TempPostgres) Stop(ctx context.Context) error {
	out, err := p.command(ctx, "pg_ctl", "-D", p.Dir, "-m", "fast", "-w", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("cluster: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

func (p *TempPostgres) command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, tool)
	if p.user != "" {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", p.user, "--", path}, args...)...)
	}
	return exec.CommandContext(ctx, path, args...)
}

// postgresBinDir finds initdb: PG_BIN, then Debian's /usr/lib/postgresql/<version>/bin, then PATH.
func postgresBinDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
	}
	return "", fmt.Errorf("cluster: PostgreSQL binaries not found (install Debian's postgresql, or set PG_BIN or DATABASE_URL)")
}
