package postgres

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConcurrentMigrateAppliesEachMigrationOnce: three writers starting at once on a fresh database (each
// with its own pool) apply every migration exactly once between them, and all three end on the full schema.
func TestConcurrentMigrateAppliesEachMigrationOnce(t *testing.T) {
	url := freshDatabase(t)
	files, err := migrationFiles()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range files {
		want = append(want, m.name)
	}

	const writers = 3
	dbs := make([]*DB, writers)
	for i := range dbs {
		dbs[i] = openTestDB(t, url)
	}
	applied := make([][]string, writers)
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = dbs[i].Migrate(context.Background())
		})
	}
	close(start)
	wg.Wait()

	var all []string
	for i := range writers {
		if errs[i] != nil {
			t.Fatalf("writer %d: Migrate: %v", i, errs[i])
		}
		all = append(all, applied[i]...)
	}
	slices.Sort(all)
	if diff := cmp.Diff(want, all); diff != "" {
		t.Fatalf("migrations applied by all writers together (-want +got):\n%s\nper writer: %q", diff, applied)
	}
	var rows, distinct int
	if err := dbs[0].Pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(want) || distinct != len(want) {
		t.Fatalf("schema_migrations has %d rows (%d versions), want %d", rows, distinct, len(want))
	}
	// A writer starting later applies nothing.
	again, err := openTestDB(t, url).Migrate(context.Background())
	if err != nil || len(again) != 0 {
		t.Fatalf("Migrate on a migrated database applied %q, error %v", again, err)
	}
}
