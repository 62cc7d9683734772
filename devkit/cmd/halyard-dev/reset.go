package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/halyard-flags/halyard/devkit/cluster"
)

// resetWork wipes the work directory, refusing while a run holds it. A PostgreSQL a killed run left behind
// is stopped first, so no server keeps running on deleted files.
func resetWork(ctx context.Context, out io.Writer, work string) error {
	if _, err := os.Stat(work); os.IsNotExist(err) {
		fmt.Fprintf(out, "halyard-dev: %s does not exist; nothing to reset\n", work)
		return nil
	}
	release, err := lockWork(work)
	if err != nil {
		return err
	}
	defer release()
	if err := cluster.StopStalePostgres(ctx, filepath.Join(work, "postgres")); err != nil {
		return err
	}
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	fmt.Fprintf(out, "halyard-dev: removed %s\n", work)
	return nil
}
