package cluster

import (
	"fmt"
	"net"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATS is an in-process NATS server with JetStream.
type NATS struct {
	Server   *server.Server
	Port     int
	StoreDir string
}

// StartNATS starts a JetStream-enabled server on 127.0.0.1:port (-1 = a random free port) storing in dir.
func StartNATS(port int, dir string) (*NATS, error) {
	opts := &server.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir,
		MaxPayload: 8 << 20, NoLog: true, NoSigs: true,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster.StartNATS: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("cluster.StartNATS: not ready after 10s")
	}
	return &NATS{Server: s, Port: s.Addr().(*net.TCPAddr).Port, StoreDir: dir}, nil
}

// URL is the client URL.
func (n *NATS) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.Port) }

// Stop shuts the server down and waits for it.
func (n *NATS) Stop() {
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
}

// Restart starts a new server on the same port and store directory, as after a crash or maintenance.
func (n *NATS) Restart() error {
	next, err := StartNATS(n.Port, n.StoreDir)
	if err != nil {
		return err
	}
	*n = *next
	return nil
}
