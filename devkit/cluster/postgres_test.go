package cluster

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestTempPostgresKeepsData starts a throwaway PostgreSQL, writes a row, then starts it again in the same
// directory without stopping it first, as after a run that was killed: the left-behind server is stopped, the
// new one serves the same data, and StopStalePostgres stops it.
func TestTempPostgresKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := tempDir(t)
	pg := startTempPostgres(t, dir)
	url, err := EnsureDatabase(ctx, pg.URL(), "halyard")
	if err != nil {
		t.Fatal(err)
	}
	execSQL(t, url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the restart')")

	pg = startTempPostgres(t, dir)
	again, err := EnsureDatabase(ctx, pg.URL(), "halyard")
	if err != nil {
		t.Fatalf("EnsureDatabase on an existing database: %v", err)
	}
	conn, err := pgx.Connect(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	var v string
	err = conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v)
	conn.Close(ctx)
	if err != nil || v != "before the restart" {
		t.Errorf("after the restart: got %q, %v; want the row written before", v, err)
	}

	if err := StopStalePostgres(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := pg.command(ctx, "pg_ctl", "-D", pg.Dir, "status").Run(); err == nil {
		t.Error("the server still runs after StopStalePostgres")
	}
}

func startTempPostgres(tb testing.TB, dir string) *TempPostgres {
	tb.Helper()
	var port int
	addr, err := FreeAddr()
	if err == nil {
		_, err = fmt.Sscanf(addr, "127.0.0.1:%d", &port)
	}
	if err != nil {
		tb.Fatal(err)
	}
	pg, err := StartTempPostgres(context.Background(), dir, port)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = StopStalePostgres(context.Background(), dir) })
	return pg
}

// tempDir is a directory the postgres OS user can reach (the server runs as that user when we are root).
func tempDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "halyard-pg-test-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func execSQL(tb testing.TB, url, sql string) {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		tb.Fatal(err)
	}
}
