package cluster

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATSCluster is a cluster of in-process NATS servers with JetStream, routed to each other on loopback, as
// three nats-server processes would be. Any node can be stopped and started again on its ports and store.
type NATSCluster struct {
	Nodes []*NATSNode
}

// NATSNode is one server of a NATSCluster; Server is nil while it is stopped.
type NATSNode struct {
	Name        string
	Server      *server.Server
	Port        int // client port
	ClusterPort int // route port
	StoreDir    string
	routes      []*url.URL
}

// StartNATSCluster starts n routed JetStream servers storing under dir, and waits until JetStream has a
// meta leader, so that a stream with n replicas can be created.
func StartNATSCluster(n int, dir string) (*NATSCluster, error) {
	c := &NATSCluster{}
	var routes []*url.URL
	for i := range n {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		clusterPort, err := freePort()
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, &NATSNode{Name: fmt.Sprintf("nats-%d", i+1), Port: port, ClusterPort: clusterPort,
			StoreDir: filepath.Join(dir, fmt.Sprintf("nats-%d", i+1))})
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", clusterPort)})
	}
	for _, node := range c.Nodes {
		node.routes = routes
	}
	var errs []error
	for _, node := range c.Nodes {
		errs = append(errs, node.Start())
	}
	if err := errors.Join(errs...); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.WaitJetStream(30 * time.Second); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Start starts the node (again) on its ports and store directory.
func (n *NATSNode) Start() error {
	opts := &server.Options{
		ServerName: n.Name, Host: "127.0.0.1", Port: n.Port, JetStream: true, StoreDir: n.StoreDir,
		MaxPayload: 8 << 20, NoLog: true, NoSigs: true,
		Cluster: server.ClusterOpts{Name: "halyard", Host: "127.0.0.1", Port: n.ClusterPort},
		Routes:  n.routes,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("cluster.NATSNode.Start %s: %w", n.Name, err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return fmt.Errorf("cluster.NATSNode.Start %s: not ready after 10s", n.Name)
	}
	n.Server = s
	return nil
}

// Stop shuts the node down and waits for it.
func (n *NATSNode) Stop() {
	if n.Server == nil {
		return
	}
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
	n.Server = nil
}

// URL is the node's client URL.
func (n *NATSNode) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.Port) }

// URL is the client URL list of every node, as NATS_URL takes it.
func (c *NATSCluster) URL() string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.URL()
	}
	return strings.Join(urls, ",")
}

// WaitJetStream waits until every running node is routed to every other running one and JetStream has a
// meta leader (after a start, or a node's restart).
func (c *NATSCluster) WaitJetStream(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := c.jetStreamReady()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster.NATSCluster: %w after %s", err, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *NATSCluster) jetStreamReady() error {
	running := 0
	for _, n := range c.Nodes {
		if n.Server != nil {
			running++
		}
	}
	for _, n := range c.Nodes {
		if n.Server == nil {
			continue
		}
		if routed := n.Server.NumRoutes(); routed < running-1 {
			return fmt.Errorf("%s has %d routes, want %d", n.Name, routed, running-1)
		}
		if !hasMetaLeader(n.Server) {
			return fmt.Errorf("%s: no JetStream meta leader", n.Name)
		}
	}
	return nil
}

// hasMetaLeader reports whether the server knows JetStream's meta leader.
func hasMetaLeader(s *server.Server) bool {
	jsz, err := s.Jsz(nil)
	return err == nil && jsz.Meta != nil && jsz.Meta.Leader != ""
}

// Stop shuts every running node down.
func (c *NATSCluster) Stop() {
	for _, n := range c.Nodes {
		n.Stop()
	}
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
