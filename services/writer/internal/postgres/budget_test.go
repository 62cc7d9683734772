package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// bigFlag is a valid flag whose filters weigh about size bytes.
func bigFlag(key string, size int) admin.FlagSpec {
	value := strings.Repeat("x", size)
	return admin.FlagSpec{Flag: flag.Flag{Key: key, Active: true, Filters: flag.Filters{Groups: []flag.Condition{{
		Properties: []flag.Property{{Key: "email", Type: "person", Operator: "exact", Value: []any{value}}}}}}}}
}

// TestSingleFlagChangesKeepTheSnapshotPublishable: on a NATS server whose max_payload is too small for
// chunked snapshots, creates, and edits that grow a flag, are refused once the environment's snapshot would
// not fit one message; small edits and deletes still work.
func TestSingleFlagChangesKeepTheSnapshotPublishable(t *testing.T) {
	db := openTestDB(t, freshDatabase(t))
	const maxPayload = 12 << 10
	db.MaxPayload = func() int64 { return maxPayload }
	limit := int(admin.MaxSnapshotBytes(maxPayload))
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	actor := admin.Actor{Name: "test"}
	p, err := db.CreateProject(ctx, actor, "budget")
	if err != nil {
		t.Fatal(err)
	}
	env, err := db.CreateEnvironment(ctx, p.ID, "test", actor)
	if err != nil {
		t.Fatal(err)
	}
	const each = 2 << 10
	created := 0
	var refused error
	for i := range 12 {
		if _, _, err := db.CreateFlag(ctx, env.ID, actor, bigFlag(fmt.Sprintf("big-%d", i), each)); err != nil {
			refused = err
			break
		}
		created++
	}
	var ae *apperr.Error
	if !errors.As(refused, &ae) || ae.Code != "snapshot_too_large" {
		t.Fatalf("after %d flags of 2 KiB the next create got %v, want snapshot_too_large", created, refused)
	}
	if created*each > limit || (created+1)*each < limit-each {
		t.Errorf("refused after %d flags of %d bytes; the budget is %d", created, each, limit)
	}
	// Growing an existing flag past the budget is refused too; a small edit is not.
	grow := func(size int) error {
		_, _, err := db.UpdateFlag(ctx, env.ID, actor, "big-0", "flag.update", func(cur admin.FlagRecord) (admin.FlagSpec, error) {
			return bigFlag("big-0", size), nil
		})
		return err
	}
	if err := grow(2 * each); !errors.As(err, &ae) || ae.Code != "snapshot_too_large" {
		t.Fatalf("growing a flag past the budget: %v, want snapshot_too_large", err)
	}
	if err := grow(each - 10); err != nil {
		t.Fatalf("shrinking a flag: %v", err)
	}
}

// TestLargeSnapshotsAccepted: on NATS's default server (1 MiB max_payload), which carries chunked
// snapshots, a static cohort and an environment far larger than one message are accepted.
func TestLargeSnapshotsAccepted(t *testing.T) {
	db := openTestDB(t, freshDatabase(t))
	db.MaxPayload = func() int64 { return 1 << 20 }
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	actor := admin.Actor{Name: "test"}
	p, err := db.CreateProject(ctx, actor, "budget")
	if err != nil {
		t.Fatal(err)
	}
	env, err := db.CreateEnvironment(ctx, p.ID, "test", actor)
	if err != nil {
		t.Fatal(err)
	}
	members := make([]string, 400_000) // 8.8 MB: over the former 6 MiB cap on members and 7 MiB on snapshots
	for i := range members {
		members[i] = fmt.Sprintf("member-%013d", i)
	}
	if _, _, err := db.CreateCohort(ctx, env.ID, actor, admin.CohortSpec{Name: "everyone", IsStatic: true}, members); err != nil {
		t.Fatalf("a cohort of 400,000 members: %v", err)
	}
	doc := &admin.Export{Format: "halyard-export/v1"}
	for i := range 3000 { // about 6 MB of definitions more
		doc.Flags = append(doc.Flags, admin.ExportFlag{ID: int64(i + 1), Key: fmt.Sprintf("imported-%d", i),
			Description: strings.Repeat("d", 2000), Active: true})
	}
	if _, err := db.Import(ctx, env.ID, actor, doc); err != nil {
		t.Fatalf("importing 3,000 flags of 2 KB: %v", err)
	}
}
