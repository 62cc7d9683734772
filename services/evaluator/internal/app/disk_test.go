package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"
)

// TestStartFromDisk: an evaluator with HALYARD_SNAPSHOT_DIR writes what it applies; restarted while NATS
// is down, it is ready from disk, answers the flags, says "disk" in /status and counts the loads; when NATS
// is back it follows the stream again, and every environment's source is "stream" once the stream delivered
// it (here: after the next change).
func TestStartFromDisk(t *testing.T) {
	natsDir, snapDir := t.TempDir(), t.TempDir()
	srv := startNATS(t, -1, natsDir)
	port := natsPort(srv)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", port)
	js := publisher(t, port)
	publish(t, js, 1, 1, encode(t, snapshot(1, 1)))
	publish(t, js, 2, 4, encode(t, snapshot(2, 4)))
	publishCatalog(t, js, map[int64]int64{1: 1, 2: 4})
	withDir := func(c *config.Config) { c.SnapshotDir = snapDir }

	first, stopFirst := startEvaluator(t, natsURL, withDir)
	waitReady(t, first)
	waitFor(t, "the snapshots and the catalog on disk", func() error {
		for _, name := range []string{"env-1.snap", "env-2.snap", "catalog.snap"} {
			if _, err := os.Stat(filepath.Join(snapDir, name)); err != nil {
				return err
			}
		}
		return nil
	})
	stopFirst()
	srv.Shutdown()
	srv.WaitForShutdown()

	ev, _ := startEvaluator(t, natsURL, withDir)
	waitReady(t, ev)
	for _, env := range []int64{1, 2} {
		if code, on := flagsOf(t, ev, sdkKey(env)); code != http.StatusOK || !on {
			t.Errorf("environment %d from disk: /flags %d, flag on %v; want 200, on", env, code, on)
		}
	}
	_, s := statusOf(t, ev)
	if diff := cmp.Diff(map[float64]string{1: "disk", 2: "disk"}, sourcesOf(s)); diff != "" {
		t.Errorf("/status sources from disk mismatch (-want +got):\n%s", diff)
	}
	if s.NATS.Connected || s.Status != "degraded" || !strings.Contains(strings.Join(s.Reasons, "; "), "2 environments served from the snapshots on disk") {
		t.Errorf("/status while NATS is down: %+v", s)
	}
	if m := scrape(t, ev); m["halyard_snapshots_loaded_from_disk_total"] != 2 || m["halyard_environments_from_disk"] != 2 {
		t.Errorf("loaded from disk %v, served from disk %v; want 2, 2", m["halyard_snapshots_loaded_from_disk_total"], m["halyard_environments_from_disk"])
	}

	startNATS(t, port, natsDir)
	js = publisher(t, port)
	publish(t, js, 2, 5, encode(t, snapshot(2, 5)))
	waitFor(t, "every environment from the stream", func() error {
		_, s := statusOf(t, ev)
		if got := sourcesOf(s); !cmp.Equal(got, map[float64]string{1: "stream", 2: "stream"}) || !s.NATS.Connected {
			return fmt.Errorf("sources %v, NATS connected %v", got, s.NATS.Connected)
		}
		return nil
	})
	waitFor(t, "environment 2's v5 on disk", func() error {
		if m := scrape(t, ev); m["halyard_snapshot_version{environment=\"2\"}"] != 5 || m["halyard_snapshot_disk_writes_total"] < 1 {
			return fmt.Errorf("version %v, disk writes %v", m["halyard_snapshot_version{environment=\"2\"}"], m["halyard_snapshot_disk_writes_total"])
		}
		return nil
	})
}

// TestNotReadyWithoutDisk: without HALYARD_SNAPSHOT_DIR, an evaluator started while NATS is unreachable is
// not ready and answers a valid key 503 not_ready, never as if no flag existed; so is one whose directory
// lacks an environment of the last catalog it saw, for that environment's key (it serves those it holds).
func TestNotReadyWithoutDisk(t *testing.T) {
	tests := []struct {
		name    string
		catalog map[int64]int64 // the catalog the first evaluator saw; nil: no directory at all
		env     int64           // whose key is asked
	}{
		{name: "no snapshot directory", env: 1},
		{name: "directory without every catalogued environment", catalog: map[int64]int64{1: 1, 3: 1}, env: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startNATS(t, -1, t.TempDir())
			port := natsPort(srv)
			natsURL := fmt.Sprintf("nats://127.0.0.1:%d", port)
			js := publisher(t, port)
			publish(t, js, 1, 1, encode(t, snapshot(1, 1)))
			var configure func(*config.Config)
			if tt.catalog != nil {
				publishCatalog(t, js, tt.catalog)
				dir := t.TempDir()
				configure = func(c *config.Config) { c.SnapshotDir = dir }
				_, stop := startEvaluator(t, natsURL, configure)
				waitFor(t, "environment 1 and the catalog on disk", func() error {
					for _, name := range []string{"env-1.snap", "catalog.snap"} {
						if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
							return err
						}
					}
					return nil
				})
				stop()
			}
			srv.Shutdown()
			srv.WaitForShutdown()

			ev, _ := startEvaluator(t, natsURL, configure)
			for range 3 {
				if code, body := get(t, ev.url+"/readyz"); code != http.StatusServiceUnavailable {
					t.Errorf("/readyz %d %s, want 503", code, body)
				}
				code, body := flagsBody(t, ev, sdkKey(tt.env))
				if code != http.StatusServiceUnavailable || !strings.Contains(body, `"not_ready"`) {
					t.Errorf("/flags %d %s, want 503 not_ready", code, body)
				}
			}
		})
	}
}

// startEvaluator runs the evaluator against natsURL, without waiting for it to be ready, until stop is
// called or the test ends.
func startEvaluator(tb testing.TB, natsURL string, configure func(*config.Config)) (ev evaluator, stop func()) {
	tb.Helper()
	cfg := config.Config{NATS: natsconn.Config{URL: natsURL}, Addr: "127.0.0.1:0", HTTP: quickStop, AdminAddr: freeAddr(tb),
		Stream: testStream, SubjectPrefix: testPrefix, LogFormat: "json", LogLevel: "info"}
	if configure != nil {
		configure(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zaptest.NewLogger(tb), func(a net.Addr) { bound <- a }) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("Run: %v", err)
			}
		})
	}
	tb.Cleanup(stop)
	select {
	case a := <-bound:
		return evaluator{url: "http://" + a.String(), admin: "http://" + cfg.AdminAddr}, stop
	case err := <-done:
		tb.Fatalf("Run returned before listening: %v", err)
		return evaluator{}, stop
	}
}

// waitReady waits until the evaluator is ready and its admin listener answers (the two come up
// independently).
func waitReady(tb testing.TB, ev evaluator) {
	tb.Helper()
	waitFor(tb, "the evaluator to be ready", func() error {
		if code, body := get(tb, ev.url+"/readyz"); code != http.StatusOK {
			return fmt.Errorf("/readyz: %d %s", code, body)
		}
		if code, _ := get(tb, ev.admin+"/status"); code != http.StatusOK {
			return fmt.Errorf("/status: %d", code)
		}
		return nil
	})
}

// publishCatalog puts the writers' catalog on the stream.
func publishCatalog(tb testing.TB, js jetstream.JetStream, versions map[int64]int64) {
	tb.Helper()
	data, err := wire.EncodeCatalog(&wire.Catalog{Format: wire.FormatVersion, Versions: versions})
	if err != nil {
		tb.Fatal(err)
	}
	msg := nats.NewMsg(testPrefix + "." + wire.CatalogSubject)
	msg.Data = data
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}

// flagsBody asks /flags?v=2 for a user with key and returns the status and body.
func flagsBody(tb testing.TB, ev evaluator, key string) (int, string) {
	tb.Helper()
	resp, err := client.Post(ev.url+"/flags?v=2", "application/json", strings.NewReader(`{"token":"`+key+`","distinct_id":"u"}`))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// flagsOf returns /flags's status and whether the flag "on" is enabled.
func flagsOf(tb testing.TB, ev evaluator, key string) (int, bool) {
	tb.Helper()
	code, body := flagsBody(tb, ev, key)
	var r struct {
		Flags map[string]struct{ Enabled bool }
	}
	_ = json.Unmarshal([]byte(body), &r)
	return code, r.Flags["on"].Enabled
}

func sourcesOf(s statusBody) map[float64]string {
	out := map[float64]string{}
	for _, e := range s.Environments {
		id, _ := e["id"].(float64)
		src, _ := e["source"].(string)
		out[id] = src
	}
	return out
}
