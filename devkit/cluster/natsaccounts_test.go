package cluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
)

func TestAccountsBlock(t *testing.T) {
	for _, tc := range []struct {
		name, conf, want string
	}{
		{"between other settings", "listen: 1\naccounts {\n  A { users: [{user: a}] }\n}\nhttp: 2\n",
			"accounts {\n  A { users: [{user: a}] }\n}"},
		{"braces in comments", "# accounts { not this }\naccounts {\n  # a } here\n  A {}\n}\n",
			"accounts {\n  # a } here\n  A {}\n}"},
		{"none", "listen: 1\n", ""},
		{"not closed", "accounts {\n  A {\n}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := accountsBlock(tc.conf)
			if (err != nil) != (tc.want == "") {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestComposeAccounts: infra/nats/cluster.conf's users connect to a server started with its accounts, with
// the passwords ComposeAccounts chose, and nobody else does.
func TestComposeAccounts(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	a, err := ComposeAccounts(root)
	if err != nil {
		t.Fatal(err)
	}
	n, err := StartNATSWithAccounts(-1, t.TempDir(), a)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	for _, tc := range []struct {
		url string
		ok  bool
	}{{n.WriterURL(), true}, {n.EvaluatorURL(), true}, {n.URL(), false},
		{Credential{"evaluator", a.Writer.Password}.url(n.Server.Addr().String()), false}} {
		nc, err := nats.Connect(tc.url)
		if err == nil {
			nc.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("connect %s: %v, want success %v", tc.url, err, tc.ok)
		}
	}
}
