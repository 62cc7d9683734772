// Package postgres is the writer's PostgreSQL adapter: a pgx pool, schema migrations, and every query the
// admin API and the outbox publisher run. It stores and loads package admin's types and leaves the rules about
// them to admin. Each mutation commits its row change, the environment's version bump, an audit row and an
// outbox row in one transaction.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the writer's database handle.
type DB struct {
	Pool *pgxpool.Pool
	// Committed, when set, is called after every committed change of an environment (its outbox row is
	// pending): NewOutbox sets it, so that this writer's publisher hears of the change at once.
	Committed func(envID int64)
	// MaxPayload, when set, reads the NATS server's max_payload (nats.Conn.MaxPayload; 0 before the first
	// connection): it bounds the snapshots changes may make (admin.CheckSnapshotBudget).
	MaxPayload func() int64

	edits *editQueue // single-flag edits waiting to be committed together (groupcommit.go)
}

func (db *DB) maxPayload() int64 {
	if db.MaxPayload == nil {
		return 0 // NATS's default
	}
	return db.MaxPayload()
}

func (db *DB) committed(envID int64) {
	if db.Committed != nil {
		db.Committed(envID)
	}
}

// DefaultMaxConns is the pool size when the URL does not set pool_max_conns.
const DefaultMaxConns = 20

// Open sets up a pool. It does not wait for PostgreSQL: connections are made on first use, so a writer
// started while PostgreSQL is down runs, answers 503, and recovers by itself once PostgreSQL is back. Every
// wait on PostgreSQL is bounded (timeouts.go).
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres.Open: %w", err)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	boundWaits(cfg)
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default, max(4, cores), is too few: each admin request holds a connection for a read
		// and for its change, and the publisher holds one, so on a small machine requests queued for a
		// connection while PostgreSQL sat idle.
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres.Open: %w", err)
	}
	db := &DB{Pool: pool}
	db.edits = newEditQueue(db)
	return db, nil
}

// closeTimeout bounds Close. Closing a connection to a PostgreSQL that stopped answering waits for pgx's
// cancel request and goodbye, up to 15 s each; a stopping writer leaves them unfinished (the operating
// system closes the sockets when it exits) rather than overrun its orchestrator's grace period.
const closeTimeout = 5 * time.Second

// Close closes the pool, waiting at most closeTimeout.
func (db *DB) Close() {
	closed := make(chan struct{})
	go func() { db.Pool.Close(); close(closed) }()
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case <-closed:
	case <-t.C:
	}
}

const maxTransactAttempts = 5

// Transact runs fn in a transaction, retrying it from the start when PostgreSQL reports a serialization
// failure or a deadlock, so callers never see a conflict that a retry would have resolved.
func (db *DB) Transact(ctx context.Context, iso pgx.TxIsoLevel, fn func(pgx.Tx) error) error {
	err := retry(ctx, func() error { return pgx.BeginTxFunc(ctx, db.Pool, pgx.TxOptions{IsoLevel: iso}, fn) })
	if isRetryable(err) {
		return fmt.Errorf("postgres.Transact: gave up after %d attempts: %w", maxTransactAttempts, err)
	}
	return err
}

// retry runs attempt until it succeeds, fails with an error a new attempt cannot resolve (anything but a
// serialization failure or a deadlock), or has run maxTransactAttempts times; it waits 5 ms, 20 ms, 45 ms, …
// between attempts and stops waiting when ctx ends. It returns the last attempt's error (or ctx's).
func retry(ctx context.Context, attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		if !isRetryable(err) || n == maxTransactAttempts {
			return err
		}
		t := time.NewTimer(time.Duration(n*n) * 5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// unavailable is err as the client-facing error when it says PostgreSQL cannot be reached (no connection
// could be made, the connection was lost, the server is shutting down or out of connections) or did not
// answer in time (the request's deadline passed, a statement or lock timeout), and nil when PostgreSQL
// answered.
func unavailable(err error, op string) *apperr.Error {
	if !isUnavailable(err) {
		return nil
	}
	e := apperr.New(apperr.Unavailable, "database_unavailable", "the database cannot be reached; retry shortly")
	if isTimeout(err) {
		// The statement may have reached PostgreSQL before the answer stopped coming: say so, since a
		// retried change could then apply twice or conflict with itself.
		e.Message = "the database did not answer in time; retry shortly (a change may have been saved: read it back first)"
	}
	e.Err = fmt.Errorf("%s: %w", op, err)
	return e
}

// IsUnavailable reports whether err says PostgreSQL cannot be reached (see unavailable).
func IsUnavailable(err error) bool { return isUnavailable(err) }

func isUnavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) { // the caller gave up, not PostgreSQL
		return false
	}
	if isTimeout(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) { // PostgreSQL answered; these answers mean it cannot serve us now
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "53300" || strings.HasPrefix(pgErr.Code, "57P")
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || pgconn.SafeToRetry(err)
}

// isTimeout reports an answer that did not come in time: the caller's deadline passed (a request timeout),
// or PostgreSQL ended the statement after statement_timeout (57014) or lock_timeout (55P03).
func isTimeout(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57014" || pgErr.Code == "55P03"
	}
	return errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)
}

func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

// isUniqueViolation reports a unique-constraint violation (SQLSTATE 23505).
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// isForeignKeyViolation reports a foreign-key violation (SQLSTATE 23503).
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
