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

// TestSingleFlagChangesKeepTheSnapshotPublishable: creates, and edits that grow a flag, are refused once the
// environment's snapshot would not fit a NATS message; small edits and deletes still work.
func TestSingleFlagChangesKeepTheSnapshotPublishable(t *testing.T) {
	db := openTestDB(t, freshDatabase(t))
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
	const each = 900 << 10
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
		t.Fatalf("after %d flags of 900 KiB the next create got %v, want snapshot_too_large", created, refused)
	}
	if created*each > admin.MaxSnapshotBytes || (created+1)*each < admin.MaxSnapshotBytes-each {
		t.Errorf("refused after %d flags of %d bytes; the budget is %d", created, each, admin.MaxSnapshotBytes)
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
