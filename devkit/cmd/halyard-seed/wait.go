package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
)

// waitReady polls the writer's /readyz every interval until it answers 200, for at most timeout: in the
// compose cluster the seed may start while the writer is still migrating or waiting for NATS.
func waitReady(ctx context.Context, cl *admin.Client, timeout, interval time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no answer yet"
	for {
		resp, err := cl.Request(ctx, http.MethodGet, "/readyz", nil, nil)
		switch {
		case err == nil && resp.Status == http.StatusOK:
			return nil
		case err == nil:
			last = fmt.Sprintf("HTTP %d", resp.Status)
		default:
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the writer at %s is not ready after %s (last: %s)", cl.BaseURL, timeout, last)
		case <-time.After(interval):
		}
	}
}
