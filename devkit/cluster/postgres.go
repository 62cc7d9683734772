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

// EnsureDatabase creates the database name on the server at adminURL unless it exists, and returns its URL.
func EnsureDatabase(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("cluster.EnsureDatabase: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("cluster.EnsureDatabase: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("cluster.EnsureDatabase: %w", err)
		}
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// TempPostgres is a throwaway PostgreSQL cluster made with initdb in a directory of its own.
type TempPostgres struct {
	Dir  string
	Port int
	bin  string
	user string // run the server as this OS user when we are root (PostgreSQL refuses to run as root)
}

// StartTempPostgres starts the server of the cluster in dir on 127.0.0.1:port with trust authentication,
// running initdb first when dir holds no cluster yet; a server a killed run left behind in dir is stopped first.
func StartTempPostgres(ctx context.Context, dir string, port int) (*TempPostgres, error) {
	p, err := tempPostgres(ctx, dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "PG_VERSION")); err != nil {
		if out, err := p.command(ctx, "initdb", "-D", p.Dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("cluster: initdb: %w\n%s", err, out)
		}
	} else if err := p.stopStale(ctx); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s -c fsync=off", port, dir)
	if out, err := p.command(ctx, "pg_ctl", "-D", p.Dir, "-o", opts, "-l", filepath.Join(dir, "postgres.log"), "-w", "start").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("cluster: pg_ctl start: %w\n%s", err, out)
	}
	p.Port = port
	return p, nil
}

// StopStalePostgres stops the server of the cluster in dir if one runs, as after a run that was killed
// before it could stop it.
func StopStalePostgres(ctx context.Context, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "PG_VERSION")); err != nil {
		return nil
	}
	p, err := tempPostgres(ctx, dir)
	if err != nil {
		return err
	}
	return p.stopStale(ctx)
}

// tempPostgres describes the cluster in dir, handing dir to the postgres OS user when we are root.
func tempPostgres(ctx context.Context, dir string) (*TempPostgres, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	p := &TempPostgres{Dir: filepath.Join(dir, "pgdata"), bin: bin}
	if os.Geteuid() == 0 {
		p.user = "postgres"
		if err := exec.CommandContext(ctx, "chown", "-R", p.user, dir).Run(); err != nil {
			return nil, fmt.Errorf("cluster: chown %s: %w", dir, err)
		}
	}
	return p, nil
}

// stopStale stops the server when pg_ctl status finds one running in p.Dir.
func (p *TempPostgres) stopStale(ctx context.Context) error {
	if p.command(ctx, "pg_ctl", "-D", p.Dir, "status").Run() != nil {
		return nil // exit status 3 (no server running) or 4 (no data directory)
	}
	return p.Stop(ctx)
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
