// Package postgres is the writer's PostgreSQL adapter: a pgx pool, schema migrations, and every query the
// admin API and the outbox publisher run. It stores and loads package admin's types and leaves the rules about
// them to admin. Each mutation commits its row change, the environment's version bump, an audit row and an
// outbox row in one transaction.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the writer's database handle.
type DB struct {
	Pool *pgxpool.Pool
	// Committed, when set, is called after every committed change of an environment (its outbox row is
	// pending): the writer wakes its publisher and tells other writers' publishers. Set it before use.
	Committed func(envID int64)

	edits *editQueue // single-flag edits waiting to be committed together (groupcommit.go)
}

func (db *DB) committed(envID int64) {
	if db.Committed != nil {
		db.Committed(envID)
	}
}

// DefaultMaxConns is the pool size when the URL does not set pool_max_conns.
const DefaultMaxConns = 20

// Open connects a pool and checks the connection.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres.Open: %w", err)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
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
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres.Open: ping: %w", err)
	}
	db := &DB{Pool: pool}
	db.edits = newEditQueue(db)
	return db, nil
}

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

const maxTransactAttempts = 5

// Transact runs fn in a transaction, retrying it from the start when PostgreSQL reports a serialization
// failure or a deadlock, so callers never see a conflict that a retry would have resolved.
func (db *DB) Transact(ctx context.Context, iso pgx.TxIsoLevel, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = pgx.BeginTxFunc(ctx, db.Pool, pgx.TxOptions{IsoLevel: iso}, fn)
		if !isRetryable(err) {
			return err
		}
		if attempt == maxTransactAttempts {
			return fmt.Errorf("postgres.Transact: gave up after %d attempts: %w", maxTransactAttempts, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// backoff waits before retry attempt+1 (5 ms, 20 ms, 45 ms, …), or until ctx ends.
func backoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(time.Duration(attempt*attempt) * 5 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
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
