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
	Accounts *Accounts // when set, the server admits only its users (and User is empty)
}

// StartNATS starts a JetStream-enabled server on 127.0.0.1:port (-1 = a random free port) storing in dir.
func StartNATS(port int, dir string) (*NATS, error) {
	return StartNATSWithUser(port, dir, "", "")
}

// StartNATSWithUser is StartNATS with a server that admits only user with password (none when user is "").
func StartNATSWithUser(port int, dir, user, password string) (*NATS, error) {
	opts := &server.Options{}
	if user != "" {
		opts.Users = []*server.User{{Username: user, Password: password}}
	}
	return startNATS(port, dir, opts, func(n *NATS) { n.User, n.Password = user, password })
}

// StartNATSWithAccounts is StartNATS with a server that admits only the accounts' users, with their
// permissions.
func StartNATSWithAccounts(port int, dir string, a *Accounts) (*NATS, error) {
	opts := &server.Options{}
	if err := a.apply(opts); err != nil {
		return nil, fmt.Errorf("cluster.StartNATS: %w", err)
	}
	return startNATS(port, dir, opts, func(n *NATS) { n.Accounts = a })
}

// startNATS starts a server with opts' authorization on 127.0.0.1:port, storing in dir; describe records
// that authorization on the result.
func startNATS(port int, dir string, opts *server.Options, describe func(*NATS)) (*NATS, error) {
	opts.Host, opts.Port, opts.JetStream, opts.StoreDir = "127.0.0.1", port, true, dir
	opts.MaxPayload, opts.NoLog, opts.NoSigs = 8<<20, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster.StartNATS: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("cluster.StartNATS: not ready after 10s")
	}
	n := &NATS{Server: s, Port: s.Addr().(*net.TCPAddr).Port, StoreDir: dir}
	describe(n)
	return n, nil
}

// URL is the client URL, with the user and password when the server requires them.
func (n *NATS) URL() string {
	if n.User != "" {
		return (&url.URL{Scheme: "nats", User: url.UserPassword(n.User, n.Password), Host: fmt.Sprintf("127.0.0.1:%d", n.Port)}).String()
	}
	return fmt.Sprintf("nats://127.0.0.1:%d", n.Port)
}

// WriterURL is the client URL the writer connects with: its own user's when the server has accounts.
func (n *NATS) WriterURL() string {
	if n.Accounts != nil {
		return n.Accounts.Writer.url(fmt.Sprintf("127.0.0.1:%d", n.Port))
	}
	return n.URL()
}

// EvaluatorURL is the client URL evaluators connect with: their user's when the server has accounts.
func (n *NATS) EvaluatorURL() string {
	if n.Accounts != nil {
		return n.Accounts.Evaluator.url(fmt.Sprintf("127.0.0.1:%d", n.Port))
	}
	return n.URL()
}

// Stop shuts the server down and waits for it.
func (n *NATS) Stop() {
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
}

// Restart starts a new server on the same port and store directory, as after a crash or maintenance.
func (n *NATS) Restart() error {
	next, err := StartNATSWithUser(n.Port, n.StoreDir, n.User, n.Password)
	if n.Accounts != nil {
		next, err = StartNATSWithAccounts(n.Port, n.StoreDir, n.Accounts)
	}
	if err != nil {
		return err
	}
	*n = *next
	return nil
}
