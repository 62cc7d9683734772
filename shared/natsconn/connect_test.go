package natsconn

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
)

// TestConnect: each kind of credential connects to a server that requires it, and drains to closed; a wrong
// one is refused at once with an error that says why.
func TestConnect(t *testing.T) {
	dir := t.TempDir()
	seed, public := userSeed(t)
	otherSeed, _ := userSeed(t)
	users := startServer(t, &server.Options{
		Users: []*server.User{{Username: "halyard", Password: "s3cret-pass"}},
		Nkeys: []*server.NkeyUser{{Nkey: public}},
	})
	op := startOperator(t)
	otherOp := startOperator(t) // its accounts are unknown to op
	p := newPKI(t)
	tlsOnly, mutual := tlsServer(t, p, false), tlsServer(t, p, true)
	hostport := func(s *server.Server) string { return strings.TrimPrefix(s.ClientURL(), "nats://") }

	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string // "" = connects; else what the error contains (or one of "a|b")
	}{
		{"user and password", Config{URL: users.ClientURL(), User: "halyard", Password: "s3cret-pass"}, ""},
		{"user and password in the URL", Config{URL: "nats://halyard:s3cret-pass@" + hostport(users)}, ""},
		{"nkey seed file", Config{URL: users.ClientURL(), NKeySeedFile: writeFile(t, dir, "user.nk", seed)}, ""},
		{"credentials file", Config{URL: op.server.ClientURL(), Creds: writeFile(t, dir, "user.creds", creds(t, op.account))}, ""},
		{"TLS with a CA", Config{URL: tlsOnly.ClientURL(), TLSCA: p.CA}, ""},
		{"TLS with a client certificate", Config{URL: mutual.ClientURL(), TLSCA: p.CA, TLSCert: p.ClientCert, TLSKey: p.ClientKey}, ""},

		{"wrong password", Config{URL: users.ClientURL(), User: "halyard", Password: "wrong"}, "nats: authorization violation"},
		{"wrong password in the URL", Config{URL: "nats://halyard:wrong@" + hostport(users)}, "nats: authorization violation"},
		{"no credential", Config{URL: users.ClientURL()}, "nats: authorization violation"},
		{"unknown nkey", Config{URL: users.ClientURL(), NKeySeedFile: writeFile(t, dir, "other.nk", otherSeed)}, "nats: authorization violation"},
		{"credentials of another operator", Config{URL: op.server.ClientURL(), Creds: writeFile(t, dir, "other.creds", creds(t, otherOp.account))},
			"nats: authorization violation"},
		{"TLS without the CA", Config{URL: tlsOnly.ClientURL()}, "certificate signed by unknown authority"},
		// The server's alert or, when it closes first, nats.go's reading of the closed connection.
		{"TLS without a client certificate", Config{URL: mutual.ClientURL(), TLSCA: p.CA},
			"remote error: tls: certificate required|nats: tls error: connection closed by remote after TLS handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			start := time.Now()
			conn, err := Connect(tc.cfg, "natsconn-test", zap.NewNop())
			if tc.wantErr != "" {
				if err == nil {
					conn.Close()
					t.Fatalf("Connect succeeded; want an error containing %q", tc.wantErr)
				}
				if !containsOne(strings.ToLower(err.Error()), strings.Split(strings.ToLower(tc.wantErr), "|")) {
					t.Fatalf("Connect error = %q; want it to contain %q", err, tc.wantErr)
				}
				if took := time.Since(start); took > 5*time.Second {
					t.Errorf("Connect took %s to give up", took)
				}
				return
			}
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if err := conn.Flush(); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if err := conn.Drain(5 * time.Second); err != nil {
				t.Fatalf("Drain: %v", err)
			}
			if !conn.IsClosed() {
				t.Fatal("Drain returned before the connection closed")
			}
		})
	}
}

// TestConnectRetriesUnreachable: a server that is not there yet is not an error; the connection comes up
// when it does, and Drain of a connection still reconnecting closes it.
func TestConnectRetriesUnreachable(t *testing.T) {
	port := freePort(t)
	conn, err := Connect(Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", port)}, "natsconn-test", zap.NewNop())
	if err != nil {
		t.Fatalf("Connect to a server not started yet: %v", err)
	}
	startServer(t, &server.Options{}) // on another port: keeps this one unreachable
	if conn.IsConnected() {
		t.Fatal("connected to nothing")
	}
	if err := conn.Drain(5 * time.Second); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	select {
	case <-conn.Closed():
	default:
		t.Fatal("Closed not closed after Drain")
	}
}

func containsOne(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
