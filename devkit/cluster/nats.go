package cluster

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATS is an in-process NATS server with JetStream.
type NATS struct {
	Server   *server.Server
	Port     int
	StoreDir string
	User     string // when set, the server admits only this user, with Password
	Password string
}

// StartNATS starts a JetStream-enabled server on 127.0.0.1:port (-1 = a random free port) storing in dir.
func StartNATS(port int, dir string) (*NATS, error) {
	return StartNATSWithUser(port, dir, "", "")
}

// StartNATSWithUser is StartNATS with a server that admits only user with password (none when user is "").
func StartNATSWithUser(port int, dir, user, password string) (*NATS, error) {
	opts := &server.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir,
		MaxPayload: 8 << 20, NoLog: true, NoSigs: true,
	}
	if user != "" {
		opts.Users = []*server.User{{Username: user, Password: password}}
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
	return &NATS{Server: s, Port: s.Addr().(*net.TCPAddr).Port, StoreDir: dir, User: user, Password: password}, nil
}

// URL is the client URL, with the user and password when the server requires them.
func (n *NATS) URL() string {
	if n.User != "" {
		return (&url.URL{Scheme: "nats", User: url.UserPassword(n.User, n.Password), Host: fmt.Sprintf("127.0.0.1:%d", n.Port)}).String()
	}
	return fmt.Sprintf("nats://127.0.0.1:%d", n.Port)
}

// Stop shuts the server down and waits for it.
func (n *NATS) Stop() {
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
}

// Restart starts a new server on the same port and store directory, as after a crash or maintenance.
func (n *NATS) Restart() error {
	next, err := StartNATSWithUser(n.Port, n.StoreDir, n.User, n.Password)
	if err != nil {
		return err
	}
	*n = *next
	return nil
}
