package postgres

import (
	"context"
	"testing"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
)

// freshDatabase creates an empty database on the test server and drops it when the test ends (pgtest).
func freshDatabase(tb testing.TB) string {
	tb.Helper()
	return pgtest.FreshDatabase(tb)
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
