package compose

import (
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
)

const natsConf = "../nats/nats.conf"

// TestNATSConfig parses infra/nats/nats.conf with the server's own parser, so a typo or an unknown option
// fails here rather than in a container that restarts forever.
func TestNATSConfig(t *testing.T) {
	opts, err := server.ProcessConfigFile(natsConf)
	if err != nil {
		t.Fatalf("nats.conf: %v", err)
	}
	type settings struct {
		JetStream  bool
		StoreDir   string
		MaxPayload int32
		Port       int
		HTTPPort   int
	}
	want := settings{JetStream: true, StoreDir: "/data", MaxPayload: 8 << 20, Port: 4222, HTTPPort: 8222}
	got := settings{opts.JetStream, opts.StoreDir, opts.MaxPayload, opts.Port, opts.HTTPPort}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nats.conf mismatch (-want +got):\n%s", diff)
	}
}

// TestNATSHealthcheck starts a server from nats.conf (on random ports, with a temporary store) and asks it
// the compose healthcheck's question: it must answer 200 once JetStream is up.
func TestNATSHealthcheck(t *testing.T) {
	opts, err := server.ProcessConfigFile(natsConf)
	if err != nil {
		t.Fatalf("nats.conf: %v", err)
	}
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.HTTPHost, opts.HTTPPort = "127.0.0.1", -1
	opts.StoreDir = filepath.Join(t.TempDir(), "js")
	opts.NoSigs, opts.NoLog = true, true

	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	go s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready within 10s")
	}
	if !s.JetStreamEnabled() {
		t.Fatal("JetStream is not enabled")
	}

	url := "http://" + s.MonitorAddr().String() + "/healthz?js-enabled-only=true"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s = %d %s, want 200", url, resp.StatusCode, body)
	}
}
