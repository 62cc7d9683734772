package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestUITypesFresh checks that ui/src/api/schema.d.ts is what openapi-typescript makes of the writer's
// current OpenAPI description: a route or schema changed without `npm run gen-api` in ui/ fails here.
func TestUITypesFresh(t *testing.T) {
	if os.Getenv("HALYARD_SKIP_UI") == "1" {
		t.Skip("HALYARD_SKIP_UI=1")
	}
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "ui")
	node := uiPrerequisites(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "scripts/gen-api.mjs", "--check")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
