// Package pgtest gives tests a fresh, empty PostgreSQL database on the test server, dropped when the test
// ends. The server is TEST_DATABASE_URL (an admin URL) or the local one make test expects.
package pgtest

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

// DefaultAdminURL is the local PostgreSQL make test expects (trust authentication for user postgres).
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// FreshDatabase creates an empty database and drops it when the test ends. It returns the database's URL.
func FreshDatabase(tb testing.TB) string {
	tb.Helper()
	adminURL := os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL = DefaultAdminURL
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
	tb.Cleanup(func() { dropDatabase(tb, adminURL, name) })
	u, err := url.Parse(adminURL)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name[0]
	return u.String()
}

func dropDatabase(tb testing.TB, adminURL string, name pgx.Identifier) {
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
}
