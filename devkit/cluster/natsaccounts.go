package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// Accounts are the NATS users of a cluster whose server admits only them, as the compose cluster's
// infra/nats/cluster.conf defines them: the writer's user and the evaluators' user, each with its
// permissions, read from that file so that a test of the local cluster proves the shipped configuration.
type Accounts struct {
	Writer, Evaluator Credential
	config            string // NATS configuration: the passwords' variables, then the accounts block
}

// Credential is one NATS user and its password.
type Credential struct{ User, Password string }

// ComposeAccounts reads the accounts block of root's infra/nats/cluster.conf, with a fresh random password
// for each of its users (the variables NATS_WRITER_PASSWORD and NATS_EVALUATOR_PASSWORD it names).
func ComposeAccounts(root string) (*Accounts, error) {
	path := filepath.Join(root, "infra", "nats", "cluster.conf")
	conf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cluster.ComposeAccounts: %w", err)
	}
	block, err := accountsBlock(string(conf))
	if err != nil {
		return nil, fmt.Errorf("cluster.ComposeAccounts(%s): %w", path, err)
	}
	a := &Accounts{Writer: Credential{"writer", randomPassword()}, Evaluator: Credential{"evaluator", randomPassword()}}
	a.config = fmt.Sprintf("NATS_WRITER_PASSWORD: %s\nNATS_EVALUATOR_PASSWORD: %s\n%s\n",
		strconv.Quote(a.Writer.Password), strconv.Quote(a.Evaluator.Password), block)
	return a, nil
}

// accountsStart finds the top-level accounts block of a NATS configuration file.
var accountsStart = regexp.MustCompile(`(?m)^accounts\s*\{`)

// accountsBlock returns the top-level "accounts { … }" block of a NATS configuration file.
func accountsBlock(conf string) (string, error) {
	loc := accountsStart.FindStringIndex(conf)
	if loc == nil {
		return "", fmt.Errorf("no top-level accounts block")
	}
	depth := 0
	for i := loc[0]; i < len(conf); i++ {
		switch conf[i] {
		case '#': // a comment, which may hold braces, runs to the end of its line
			if n := strings.IndexByte(conf[i:], '\n'); n >= 0 {
				i += n
			}
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return conf[loc[0] : i+1], nil
			}
		}
	}
	return "", fmt.Errorf("the accounts block is not closed")
}

// apply sets the accounts' users and permissions on opts.
func (a *Accounts) apply(opts *server.Options) error {
	if err := opts.ProcessConfigString(a.config); err != nil {
		return fmt.Errorf("the accounts of infra/nats/cluster.conf: %w", err)
	}
	return nil
}

// url is the client URL of the server at hostport with c's user and password, as NATS_URL carries them.
func (c Credential) url(hostport string) string {
	return (&url.URL{Scheme: "nats", User: url.UserPassword(c.User, c.Password), Host: hostport}).String()
}

func randomPassword() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "p" + hex.EncodeToString(b[:])
}
