package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/buildinfo"
)

// TestStatusFollowsNATS: /status is healthy while connected and caught up; when NATS stops it turns
// degraded, says since when, and still answers 200 (readiness is /readyz's); once NATS is back it is
// healthy again and counts the reconnection. The NATS URL's credentials never show.
func TestStatusFollowsNATS(t *testing.T) {
	dir := t.TempDir()
	srv := startNATS(t, -1, dir)
	port := natsPort(srv)
	js := publisher(t, port)
	publish(t, js, 7, 3, encode(t, snapshot(7, 3)))
	publish(t, js, 2, 1, encode(t, snapshot(2, 1)))
	// A token a server without authorization ignores; it must not show in /status.
	ev := runEvaluator(t, fmt.Sprintf("nats://s3cret-token@127.0.0.1:%d", port), nil)

	code, s := statusOf(t, ev)
	if code != http.StatusOK || s.Status != "healthy" || len(s.Reasons) != 0 || !s.Ready || !s.NATS.Connected ||
		s.NATS.DisconnectedSince != nil || s.NATS.URL != fmt.Sprintf("nats://redacted@127.0.0.1:%d", port) {
		t.Fatalf("at start: %d %+v", code, s)
	}
	if diff := cmp.Diff(buildinfo.Get(), s.Version); diff != "" {
		t.Errorf("version mismatch (-want +got):\n%s", diff)
	}
	type env struct {
		ID, ProjectID, Version, Flags float64
		Source                        string
		Timestamps                    bool
	}
	var envs []env
	for _, e := range s.Environments {
		envs = append(envs, env{ID: e["id"].(float64), ProjectID: e["project_id"].(float64), Version: e["version"].(float64),
			Flags: e["flags"].(float64), Source: e["source"].(string),
			Timestamps: e["published_at"] != nil && e["committed_at"] != nil && e["applied_at"] != nil && e["age_seconds"].(float64) >= 0})
	}
	want := []env{{ID: 2, ProjectID: 1, Version: 1, Flags: 1, Source: "stream", Timestamps: true},
		{ID: 7, ProjectID: 1, Version: 3, Flags: 1, Source: "stream", Timestamps: true}}
	if diff := cmp.Diff(want, envs); diff != "" {
		t.Errorf("environments mismatch (-want +got):\n%s", diff)
	}

	srv.Shutdown()
	srv.WaitForShutdown()
	waitFor(t, "/status to say NATS is down", func() error {
		code, s := statusOf(t, ev)
		if code != http.StatusOK || s.Status != "degraded" || len(s.Reasons) != 1 ||
			!strings.HasPrefix(s.Reasons[0], "NATS disconnected since ") || s.NATS.Connected || s.NATS.DisconnectedSince == nil {
			return fmt.Errorf("%d %+v", code, s)
		}
		return nil
	})
	if m := scrape(t, ev); m["halyard_nats_connected"] != 0 || m["halyard_ready"] != 1 {
		t.Errorf("NATS down: halyard_nats_connected %v, halyard_ready %v; want 0, 1", m["halyard_nats_connected"], m["halyard_ready"])
	}
	if code, _ := get(t, ev.url+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with NATS down = %d; the last snapshots are still served", code)
	}

	startNATS(t, port, dir)
	waitFor(t, "/status to be healthy again", func() error {
		code, s := statusOf(t, ev)
		if code != http.StatusOK || s.Status != "healthy" || len(s.Reasons) != 0 || !s.NATS.Connected || s.NATS.Reconnects < 1 {
			return fmt.Errorf("%d %+v", code, s)
		}
		return nil
	})
	if m := scrape(t, ev); m["halyard_nats_connected"] != 1 || m["halyard_nats_reconnects_total"] < 1 {
		t.Errorf("NATS back: halyard_nats_connected %v, halyard_nats_reconnects_total %v", m["halyard_nats_connected"], m["halyard_nats_reconnects_total"])
	}
	if _, body := get(t, ev.admin+"/status"); strings.Contains(body, "s3cret") {
		t.Errorf("/status shows the NATS token: %s", body)
	}
}
