package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The pool's bounds on a PostgreSQL that stops answering, each applied unless DATABASE_URL sets it
// (connect_timeout, statement_timeout, lock_timeout; PostgreSQL's own settings take units: 30s, 1min).
// Requests carry their own, shorter deadline (the admin API's request timeout); these bound what has none
// (the publisher, the reconciler, start-up) and let PostgreSQL end a statement its client gave up on.
const (
	// DefaultConnectTimeout bounds opening a connection: a PostgreSQL that accepts TCP but never answers
	// the start-up handshake fails it instead of holding it forever.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultPingTimeout bounds the liveness check of a connection idle for over a second before it is
	// handed out: a dead one is replaced rather than used.
	DefaultPingTimeout = 5 * time.Second
	// DefaultStatementTimeout is PostgreSQL's statement_timeout: generous, so an import's or a cohort
	// upload's largest statement fits, but a statement its client abandoned does not run on for long.
	DefaultStatementTimeout = "1min"
	// DefaultLockTimeout is PostgreSQL's lock_timeout: a statement waiting this long for a row or advisory
	// lock fails (503, retry) instead of queueing behind a stuck transaction.
	DefaultLockTimeout = "10s"
)

// boundWaits applies the defaults above to cfg where the URL did not set them.
func boundWaits(cfg *pgxpool.Config) {
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = DefaultPingTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	options := params["options"] // "-c statement_timeout=…" sets it too
	for name, def := range map[string]string{"statement_timeout": DefaultStatementTimeout, "lock_timeout": DefaultLockTimeout} {
		if _, set := params[name]; !set && !strings.Contains(options, name) {
			params[name] = def
		}
	}
}

// cleanUpTimeout bounds a statement that undoes session state (an advisory lock, a setting) after its
// caller's context may have ended.
const cleanUpTimeout = 5 * time.Second

// cleanUpContext is ctx without its end, bounded by cleanUpTimeout: for a rollback or an unlock that must
// run after the caller gave up, but not wait forever on a PostgreSQL that stopped answering.
func cleanUpContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanUpTimeout)
}

// cleanUp runs sql on conn even when ctx has ended, for at most cleanUpTimeout; when it fails the
// connection is closed, which ends the session and so undoes its state for sure (the pool replaces it).
func cleanUp(ctx context.Context, conn *pgxpool.Conn, sql string, args ...any) {
	bounded, cancel := cleanUpContext(ctx)
	defer cancel()
	if _, err := conn.Exec(bounded, sql, args...); err != nil {
		_ = conn.Conn().Close(bounded) // the session ends either way
	}
}
