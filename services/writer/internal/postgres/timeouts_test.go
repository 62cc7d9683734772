package postgres

import (
	"context"
	"fmt"
	neturl "net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestBoundWaits: every wait on PostgreSQL has a bound, the pool's default unless DATABASE_URL sets its own.
func TestBoundWaits(t *testing.T) {
	type bounds struct {
		Connect, Ping            time.Duration
		Statement, Lock, Options string
	}
	for _, tc := range []struct {
		name, url string
		want      bounds
	}{
		{"defaults", "postgres://db/halyard",
			bounds{DefaultConnectTimeout, DefaultPingTimeout, DefaultStatementTimeout, DefaultLockTimeout, ""}},
		{"URL's own", "postgres://db/halyard?connect_timeout=2&statement_timeout=5min&lock_timeout=0",
			bounds{2 * time.Second, DefaultPingTimeout, "5min", "0", ""}},
		{"set through options", "postgres://db/halyard?options=-c%20statement_timeout%3D0",
			bounds{DefaultConnectTimeout, DefaultPingTimeout, "", DefaultLockTimeout, "-c statement_timeout=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := pgxpool.ParseConfig(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			boundWaits(cfg)
			p := cfg.ConnConfig.RuntimeParams
			got := bounds{cfg.ConnConfig.ConnectTimeout, cfg.PingTimeout, p["statement_timeout"], p["lock_timeout"], p["options"]}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("bounds mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTimeoutIsUnavailable: an answer that did not come in time is 503 database_unavailable, with a message
// that warns a change may have been saved; a lost connection keeps the plain message.
func TestTimeoutIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name         string
		err          error
		mayHaveSaved bool
	}{
		{"request deadline", fmt.Errorf("q: %w", context.DeadlineExceeded), true},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, true},
		{"lock timeout", &pgconn.PgError{Code: "55P03"}, true},
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, false},
	} {
		ae := apperr.As(asAppErr(tc.err, "op"))
		if ae.Kind != apperr.Unavailable || ae.Code != "database_unavailable" {
			t.Errorf("%s: kind %d code %q, want Unavailable database_unavailable", tc.name, ae.Kind, ae.Code)
		}
		if got := ae.Message != "the database cannot be reached; retry shortly"; got != tc.mayHaveSaved {
			t.Errorf("%s: message %q; want the may-have-been-saved warning: %v", tc.name, ae.Message, tc.mayHaveSaved)
		}
	}
}

// TestStatementTimeoutReachesPostgreSQL: the pool's default statement_timeout is in force on its
// connections, and a statement PostgreSQL ends under one set in the URL is 503 database_unavailable.
func TestStatementTimeoutReachesPostgreSQL(t *testing.T) {
	ctx := context.Background()
	url := freshDatabase(t)
	var got string
	if err := openTestDB(t, url).Pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != DefaultStatementTimeout {
		t.Errorf("statement_timeout = %q, want %s", got, DefaultStatementTimeout)
	}
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("statement_timeout", "100ms")
	u.RawQuery = q.Encode()
	short := openTestDB(t, u.String())
	_, err = short.Pool.Exec(ctx, `SELECT pg_sleep(2)`)
	if ae := apperr.As(asAppErr(err, "sleep")); ae.Kind != apperr.Unavailable || ae.Code != "database_unavailable" {
		t.Errorf("a statement over statement_timeout = %v (kind %d code %q), want Unavailable database_unavailable", err, ae.Kind, ae.Code)
	}
}
