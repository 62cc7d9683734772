package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/flag"
)

// editResult is what one UpdateFlag answered.
type editResult struct {
	key         string
	flagVersion int64
	envVersion  int64
	err         error
}

// TestGroupCommitEdits: single-flag edits that wait while their environment is locked are committed together,
// several per version, and each is applied exactly once, audited at the version it was answered with,
// with one outbox row per version; an edit that PostgreSQL refuses fails alone.
func TestGroupCommitEdits(t *testing.T) {
	db := openTestDB(t, freshDatabase(t))
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	actor := admin.Actor{Name: "test"}
	p, err := db.CreateProject(ctx, actor, "group")
	if err != nil {
		t.Fatal(err)
	}
	env, err := db.CreateEnvironment(ctx, p.ID, "test", actor)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 10)
	for i := range keys {
		keys[i] = fmt.Sprintf("g-%d", i)
		if _, _, err := db.CreateFlag(ctx, env.ID, actor, admin.FlagSpec{Flag: flag.Flag{Key: keys[i], Active: true}}); err != nil {
			t.Fatal(err)
		}
	}
	start, err := db.EnvironmentVersion(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}

	// Hold the environment's row lock so that the first group blocks and the other edits queue behind it.
	lock, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck // released below; this is for a failed test
	if _, err := lock.Exec(ctx, `SELECT 1 FROM environments WHERE id = $1 FOR UPDATE`, env.ID); err != nil {
		t.Fatal(err)
	}
	const perFlag = 4 // each flag is edited 4 times: edits of one flag must never share a statement
	const bad = "g-3" // this edit's name holds a NUL byte, which PostgreSQL refuses
	total := int64(len(keys)*perFlag + 1)
	results := make(chan editResult, total)
	var wg sync.WaitGroup
	edit := func(key, name string, pct int) {
		defer wg.Done()
		rec, version, err := db.UpdateFlag(ctx, env.ID, actor, key, "flag.update", func(cur admin.FlagRecord) (admin.FlagSpec, error) {
			next := cur.FlagSpec
			next.Name = name
			next.Tags = append(append([]string{}, cur.Tags...), fmt.Sprintf("t%d", pct))
			p := float64(pct)
			next.Filters = flag.Filters{Groups: []flag.Condition{{RolloutPercentage: &p}}}
			return next, nil
		})
		results <- editResult{key: key, flagVersion: rec.Version, envVersion: version, err: err}
	}
	for r := range perFlag {
		for i, k := range keys {
			wg.Add(1)
			go edit(k, "edited", r*10+i)
		}
	}
	wg.Add(1)
	go edit(bad, "bad\x00name", 99)
	waitSubmitted(t, db, total)
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(results)

	edits := map[string]int{}
	versions := map[int64]int{} // environment version → edits answered with it
	failed := 0
	for r := range results {
		if r.err != nil {
			failed++
			continue
		}
		edits[r.key]++
		versions[r.envVersion]++
	}
	if failed != 1 {
		t.Fatalf("%d edits failed, want only the one with a NUL byte", failed)
	}
	end, err := db.EnvironmentVersion(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(versions)) != end-start {
		t.Errorf("%d versions answered, the environment moved %d → %d", len(versions), start, end)
	}
	if int64(len(versions)) >= total-1 {
		t.Errorf("%d edits took %d versions: nothing was committed together", total-1, len(versions))
	}
	for _, k := range keys {
		rec, _, err := db.GetFlag(ctx, env.ID, k)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Version != int64(1+edits[k]) || len(rec.Tags) != edits[k] {
			t.Errorf("%s: version %d with %d tags after %d edits", k, rec.Version, len(rec.Tags), edits[k])
		}
	}
	checkAuditAndOutbox(t, db, env.ID, start, versions)
}

// waitSubmitted waits until n edits reached the edit queue.
func waitSubmitted(t *testing.T, db *DB, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.edits.edits.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d edits submitted, want %d", db.edits.edits.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkAuditAndOutbox: each version after start has as many flag.update audit rows as edits answered with it,
// each row's "after" is the flag as stored then, and one outbox row.
func checkAuditAndOutbox(t *testing.T, db *DB, envID, start int64, versions map[int64]int) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT environment_version, count(*), count(DISTINCT resource)
		FROM audit_log WHERE environment_id = $1 AND environment_version > $2 GROUP BY 1`, envID, start)
	if err != nil {
		t.Fatal(err)
	}
	audited := map[int64]int{}
	for rows.Next() {
		var v int64
		var n, distinct int
		if err := rows.Scan(&v, &n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != distinct {
			t.Errorf("version %d audits %d edits of %d flags: one flag was edited twice in one statement", v, n, distinct)
		}
		audited[v] = n
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	for v, n := range versions {
		if audited[v] != n {
			t.Errorf("version %d: %d edits answered, %d audited", v, n, audited[v])
		}
	}
	var outbox int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE environment_id = $1 AND environment_version > $2`,
		envID, start).Scan(&outbox); err != nil {
		t.Fatal(err)
	}
	if outbox != len(versions) {
		t.Errorf("%d outbox rows for %d versions", outbox, len(versions))
	}
	// The last audit row of each flag describes the stored flag.
	var after json.RawMessage
	var stored admin.FlagRecord
	if err := db.Pool.QueryRow(ctx, `SELECT after FROM audit_log WHERE environment_id = $1 AND resource = 'flag/g-0'
		ORDER BY id DESC LIMIT 1`, envID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(after, &stored); err != nil {
		t.Fatal(err)
	}
	rec, _, err := db.GetFlag(ctx, envID, "g-0")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(stored)
	b, _ := json.Marshal(rec)
	if string(a) != string(b) {
		t.Errorf("audit after:\n%s\nstored:\n%s", a, b)
	}
}
