package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
	"github.com/nats-io/nats.go"
)

// TestTwoWritersNeverPublishOlderAfterNewer: two writers take changes to one environment at the same time;
// every snapshot that reaches the stream is newer than the one before, and the last one is the final version.
func TestTwoWritersNeverPublishOlderAfterNewer(t *testing.T) {
	c := startCluster(t, 1)
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	if _, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("race", "a@example.com"), nil); err != nil {
		t.Fatal(err)
	}

	addr, _ := cluster.FreeAddr()
	second := c.NewWriter(addr)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Stop(10 * time.Second) })
	if err := second.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}

	nc, err := nats.Connect(c.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var (
		mu   sync.Mutex
		seen []int64
	)
	sub, err := nc.Subscribe("halyard.snapshot."+strconv.FormatInt(env.ID, 10), func(m *nats.Msg) {
		v, _ := strconv.ParseInt(m.Header.Get("Halyard-Version"), 10, 64)
		mu.Lock()
		seen = append(seen, v)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe() //nolint:errcheck
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	final := patchConcurrently(t, []*admin.Client{cl, admin.New(second.URL(), c.Opts.AdminToken)}, env.ID, 40)
	waitPublished(t, c, env.ID, final)
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || seen[len(seen)-1] != final {
			return fmt.Errorf("last published version %v, want %d", seen, final)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("published versions went %d then %d: %v", seen[i-1], seen[i], seen)
		}
	}
	t.Logf("%d changes through two writers were published as %d snapshots: %v", 40, len(seen), seen)
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		r, err := tryFlags(c.Evaluators[0], env.SDKKey, "u", map[string]any{"email": "a@example.com"})
		if err != nil {
			return err
		}
		if f := r.Flags["race"]; f.Metadata.Version != 41 {
			return fmt.Errorf("evaluator has flag version %d, want 41", f.Metadata.Version)
		}
		return nil
	})
}

// patchConcurrently sends n toggles of the "race" flag spread over the clients, all at once, and returns the
// highest environment version they produced.
func patchConcurrently(t *testing.T, clients []*admin.Client, envID int64, n int) int64 {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		high int64
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			patch := map[string]any{"name": fmt.Sprintf("change %d", i)}
			v, err := clients[i%len(clients)].Do(context.Background(), http.MethodPatch, admin.FlagPath(envID, "race"), patch, nil)
			if err != nil {
				t.Errorf("patch %d: %v", i, err)
				return
			}
			mu.Lock()
			high = max(high, v)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return high
}
