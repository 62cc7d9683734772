package natsconn

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// startServer runs an in-process NATS server with opts (host and port set here) until the test ends.
func startServer(tb testing.TB, opts *server.Options) *server.Server {
	tb.Helper()
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", -1, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("NATS server not ready")
	}
	tb.Cleanup(s.Shutdown)
	return s
}

// userSeed is a new nkey user's seed and public key.
func userSeed(tb testing.TB) (seed []byte, public string) {
	tb.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		tb.Fatal(err)
	}
	seed, _ = kp.Seed()
	public, _ = kp.PublicKey()
	return seed, public
}

// operator is a NATS server in operator mode trusting one account, and a way to make credentials files.
type operator struct {
	server  *server.Server
	account nkeys.KeyPair
}

func startOperator(tb testing.TB) *operator {
	tb.Helper()
	okp, _ := nkeys.CreateOperator()
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	if _, err := oc.Encode(okp); err != nil {
		tb.Fatal(err)
	}
	akp, _ := nkeys.CreateAccount()
	apub, _ := akp.PublicKey()
	ajwt, err := jwt.NewAccountClaims(apub).Encode(okp)
	if err != nil {
		tb.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	if err := resolver.Store(apub, ajwt); err != nil {
		tb.Fatal(err)
	}
	s := startServer(tb, &server.Options{TrustedOperators: []*jwt.OperatorClaims{oc}, AccountResolver: resolver})
	return &operator{server: s, account: akp}
}

// creds returns a credentials file's content for a new user signed by account.
func creds(tb testing.TB, account nkeys.KeyPair) []byte {
	tb.Helper()
	seed, public := userSeed(tb)
	ujwt, err := jwt.NewUserClaims(public).Encode(account)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := jwt.FormatUserConfig(ujwt, seed)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// tlsServer runs a TLS-only server with p's server certificate; verify has it require client certificates
// signed by p's CA.
func tlsServer(tb testing.TB, p pki, verify bool) *server.Server {
	tb.Helper()
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: p.ServerCert, KeyFile: p.ServerKey, CaFile: p.CA, Verify: verify})
	if err != nil {
		tb.Fatal(err)
	}
	return startServer(tb, &server.Options{TLS: true, TLSConfig: tc, TLSVerify: verify, TLSTimeout: 2})
}

// freePort is a TCP port nothing listens on.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
