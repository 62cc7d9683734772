package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultAdminURL is the local PostgreSQL make test expects (trust authentication for user postgres).
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// freshDatabase creates an empty database on the test server (TEST_DATABASE_URL, an admin URL, or the local
// one) and drops it when the test ends. It returns the database's URL.
func freshDatabase(tb testing.TB) string {
	tb.Helper()
	adminURL := os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL = defaultAdminURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		tb.Fatalf("connect to the test PostgreSQL (set TEST_DATABASE_URL): %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := pgx.Identifier{"writer_test_" + hex.EncodeToString(b)}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name.Sanitize()); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			tb.Errorf("drop test database: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name[0]
	return u.String()
}

// openTestDB opens a pool on url, closed when the test ends.
func openTestDB(tb testing.TB, url string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db
}
