package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestTransactRetriesSerializationFailure: two SERIALIZABLE transactions read the same row and then both
// update it; PostgreSQL fails one with 40001, Transact runs it again from the start, and no update is lost.
func TestTransactRetriesSerializationFailure(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, freshDatabase(t))
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)`); err != nil {
		t.Fatal(err)
	}
	var (
		attempts atomic.Int32
		read     sync.WaitGroup // both first attempts have read before either writes
		wg       sync.WaitGroup
	)
	read.Add(2)
	errs := make([]error, 2)
	for i := range 2 {
		first := true
		wg.Go(func() {
			errs[i] = db.Transact(ctx, pgx.Serializable, func(tx pgx.Tx) error {
				attempts.Add(1)
				var n int
				if err := tx.QueryRow(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil {
					return err
				}
				if first {
					first = false
					read.Done()
					read.Wait()
				}
				_, err := tx.Exec(ctx, `UPDATE counter SET n = $1 WHERE id = 1`, n+1)
				return err
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT n FROM counter WHERE id = 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || attempts.Load() != 3 {
		t.Fatalf("counter = %d after %d attempts, want 2 after 3 (one serialization failure retried)", n, attempts.Load())
	}
}

// TestTransactRetriesThenGivesUp: a function failing with 40001 once is run again and its second run
// commits; one failing every time is given up after maxTransactAttempts with the PostgreSQL error kept.
func TestTransactRetriesThenGivesUp(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, freshDatabase(t))
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE runs (attempt int NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	serialization := &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	attempt := 0
	err := db.Transact(ctx, pgx.ReadCommitted, func(tx pgx.Tx) error {
		attempt++
		if _, err := tx.Exec(ctx, `INSERT INTO runs VALUES ($1)`, attempt); err != nil {
			return err
		}
		if attempt == 1 {
			return serialization
		}
		return nil
	})
	if err != nil || attempt != 2 {
		t.Fatalf("Transact = %v after %d attempts, want nil after 2", err, attempt)
	}
	var committed []int32
	rows, _ := db.Pool.Query(ctx, `SELECT attempt FROM runs`)
	if committed, err = pgx.CollectRows(rows, pgx.RowTo[int32]); err != nil {
		t.Fatal(err)
	}
	if len(committed) != 1 || committed[0] != 2 {
		t.Fatalf("rows committed: %v, want only the second attempt's", committed)
	}

	attempt = 0
	err = db.Transact(ctx, pgx.ReadCommitted, func(pgx.Tx) error { attempt++; return serialization })
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "40001" || attempt != maxTransactAttempts {
		t.Fatalf("Transact = %v after %d attempts, want the 40001 after %d", err, attempt, maxTransactAttempts)
	}

	attempt = 0
	other := errors.New("not retryable")
	if err := db.Transact(ctx, pgx.ReadCommitted, func(pgx.Tx) error { attempt++; return other }); !errors.Is(err, other) || attempt != 1 {
		t.Fatalf("Transact = %v after %d attempts, want the error after 1", err, attempt)
	}
}
