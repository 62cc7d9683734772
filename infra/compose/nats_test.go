package compose

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
)

const (
	natsConf    = "../nats/nats.conf"
	clusterConf = "../nats/cluster.conf"
)

// TestNATSConfig parses infra/nats/nats.conf, the single-node configuration, with the server's own parser,
// so a typo or an unknown option fails here rather than in a container that restarts forever.
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

// clusterOptions parses infra/nats/cluster.conf with the environment docker-compose.yml gives node.
func clusterOptions(tb testing.TB, p *types.Project, node string) *server.Options {
	tb.Helper()
	for k, v := range env(tb, p, node) {
		tb.Setenv(k, v)
	}
	opts, err := server.ProcessConfigFile(clusterConf)
	if err != nil {
		tb.Fatalf("cluster.conf with %s's environment: %v", node, err)
	}
	return opts
}

// TestNATSClusterConfig checks cluster.conf as each compose node reads it: its own name, routes to every
// node with the route credentials, JetStream in /data, and only the writer's and evaluators' users.
func TestNATSClusterConfig(t *testing.T) {
	p := loadProject(t, []string{"HALYARD_NATS_ROUTE_PASSWORD=route-pw"})
	for _, node := range natsNodes {
		t.Run(node, func(t *testing.T) {
			opts := clusterOptions(t, p, node)
			type settings struct {
				ServerName, ClusterName, RouteUser, RoutePassword, StoreDir, NoAuthUser string
				Port, HTTPPort, ClusterPort                                             int
				JetStream                                                               bool
				MaxPayload                                                              int32
				Routes, Users                                                           []string
			}
			got := settings{
				ServerName: opts.ServerName, ClusterName: opts.Cluster.Name, RouteUser: opts.Cluster.Username,
				RoutePassword: opts.Cluster.Password, StoreDir: opts.StoreDir, NoAuthUser: opts.NoAuthUser,
				Port: opts.Port, HTTPPort: opts.HTTPPort, ClusterPort: opts.Cluster.Port,
				JetStream: opts.JetStream, MaxPayload: opts.MaxPayload,
			}
			for _, r := range opts.Routes {
				got.Routes = append(got.Routes, r.Redacted())
			}
			for _, u := range opts.Users {
				got.Users = append(got.Users, u.Account.Name+"/"+u.Username)
			}
			want := settings{
				ServerName: node, ClusterName: "halyard", RouteUser: "route", RoutePassword: "route-pw",
				StoreDir: "/data", Port: 4222, HTTPPort: 8222, ClusterPort: 6222, JetStream: true, MaxPayload: 8 << 20,
				Routes: []string{"nats-route://route:xxxxx@nats-1:6222", "nats-route://route:xxxxx@nats-2:6222",
					"nats-route://route:xxxxx@nats-3:6222"},
				Users: []string{"HALYARD/writer", "HALYARD/evaluator"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("cluster.conf mismatch (-want +got):\n%s", diff)
			}
			for _, r := range opts.Routes {
				if pw, _ := r.User.Password(); pw != "route-pw" {
					t.Errorf("route %s does not carry the route password", r.Redacted())
				}
			}
		})
	}
}

// startNATS runs nats-1's configuration in process as a single node (no routes), on random ports with a
// temporary store: the users, accounts and permissions are the compose cluster's.
func startNATS(tb testing.TB, p *types.Project) *server.Server {
	tb.Helper()
	opts := clusterOptions(tb, p, "nats-1")
	opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.HTTPHost, opts.HTTPPort = "127.0.0.1", -1
	opts.StoreDir = filepath.Join(tb.TempDir(), "js")
	opts.NoSigs, opts.NoLog = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		tb.Fatalf("NewServer: %v", err)
	}
	go s.Start()
	tb.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats server not ready within 10s")
	}
	return s
}

// TestNATSHealthcheck asks a server running cluster.conf the image health check's question: /healthz must
// answer 200 once JetStream is up.
func TestNATSHealthcheck(t *testing.T) {
	s := startNATS(t, loadProject(t, nil))
	u := "http://" + s.MonitorAddr().String() + "/healthz"
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s = %d %s, want 200", u, resp.StatusCode, body)
	}
}

// natsUser returns the user and password that service's NATS_URL carries.
func natsUser(tb testing.TB, p *types.Project, svc string) (string, string) {
	tb.Helper()
	first, _, _ := strings.Cut(env(tb, p, svc)["NATS_URL"], ",")
	u, err := url.Parse(first)
	if err != nil || u.User == nil {
		tb.Fatalf("%s: NATS_URL has no user (%v)", svc, err)
	}
	pw, _ := u.User.Password()
	return u.User.Username(), pw
}
