package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/admin"
)

// TestBacklog: the backlog counts pending outbox rows of every environment and ages the oldest by
// PostgreSQL's clock; published rows do not count; a database that cannot be reached is an error.
func TestBacklog(t *testing.T) {
	db := openTestDB(t, freshDatabase(t))
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o := NewOutbox(db)
	backlog := func() Backlog {
		t.Helper()
		b, err := o.Backlog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b.OldestAge = b.OldestAge.Round(time.Minute) // the seconds the test itself takes do not matter
		return b
	}
	if diff := cmp.Diff(Backlog{}, backlog()); diff != "" {
		t.Errorf("empty outbox: backlog mismatch (-want +got):\n%s", diff)
	}

	actor := admin.Actor{Name: "test"}
	p, err := db.CreateProject(ctx, actor, "backlog")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		if _, err := db.CreateEnvironment(ctx, p.ID, name, actor); err != nil {
			t.Fatal(err)
		}
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE outbox SET created_at = now() - interval '10 minutes' WHERE id = (SELECT min(id) FROM outbox)`)
	if diff := cmp.Diff(Backlog{Pending: 3, OldestAge: 10 * time.Minute}, backlog()); diff != "" {
		t.Errorf("three pending rows: backlog mismatch (-want +got):\n%s", diff)
	}
	exec(`UPDATE outbox SET published_at = now() WHERE id = (SELECT min(id) FROM outbox)`)
	if diff := cmp.Diff(Backlog{Pending: 2}, backlog()); diff != "" {
		t.Errorf("oldest row published: backlog mismatch (-want +got):\n%s", diff)
	}

	db.Close()
	if _, err := o.Backlog(ctx); err == nil {
		t.Error("Backlog on a closed pool succeeded")
	}
}
