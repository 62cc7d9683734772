package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnavailableFromAClosedPort: a pool pointed at a port nothing listens on is opened without error (the
// writer starts while PostgreSQL is down), and its first query fails as 503 database_unavailable.
func TestUnavailableFromAClosedPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := Open(ctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatalf("Open with PostgreSQL down = %v, want a pool that connects later", err)
	}
	defer db.Close()
	_, err = db.Migrate(ctx)
	if !IsUnavailable(err) {
		t.Fatalf("Migrate against a closed port = %v, want an unavailable error", err)
	}
	if ae := apperr.As(asAppErr(err, "Migrate")); ae.Kind != apperr.Unavailable || ae.Code != "database_unavailable" {
		t.Fatalf("asAppErr(%v) = kind %d code %q, want Unavailable database_unavailable", err, ae.Kind, ae.Code)
	}
}

func TestIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: "08006"}), true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, false},
		{"caller gave up", fmt.Errorf("q: %w", context.Canceled), false},
		{"plain error", errors.New("boom"), false},
		{"network error", &net.OpError{Op: "read", Err: errors.New("connection reset")}, true},
		{"request deadline passed", fmt.Errorf("q: %w", context.DeadlineExceeded), true},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, true},
		{"lock timeout", &pgconn.PgError{Code: "55P03"}, true},
	} {
		if got := IsUnavailable(tc.err); got != tc.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
