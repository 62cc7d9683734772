package natsconn

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFromEnv(t *testing.T) {
	env := map[string]string{"NATS_CREDS": "/etc/nats/user.creds", "NATS_USER": "u", "NATS_PASSWORD": "p",
		"NATS_NKEY_SEED_FILE": "/s", "NATS_TLS_CA": "/ca", "NATS_TLS_CERT": "/c", "NATS_TLS_KEY": "/k"}
	want := Config{URL: DefaultURL, Creds: "/etc/nats/user.creds", NKeySeedFile: "/s", User: "u", Password: "p",
		TLSCA: "/ca", TLSCert: "/c", TLSKey: "/k"}
	if diff := cmp.Diff(want, FromEnv(func(k string) string { return env[k] })); diff != "" {
		t.Errorf("FromEnv mismatch (-want +got):\n%s", diff)
	}
	for _, name := range []string{"NATS_URL", "NATS_CREDS", "NATS_NKEY_SEED_FILE", "NATS_USER", "NATS_PASSWORD",
		"NATS_TLS_CA", "NATS_TLS_CERT", "NATS_TLS_KEY"} {
		if !strings.Contains(Help, name) {
			t.Errorf("Help does not document %s", name)
		}
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t)
	seed, _ := userSeed(t)
	op := startOperator(t)
	goodSeed, goodCreds := writeFile(t, dir, "u.nk", seed), writeFile(t, dir, "u.creds", creds(t, op.account))
	garbage := writeFile(t, dir, "garbage", []byte("not a key\n"))
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // the problems, in order
	}{
		{"default", Config{URL: DefaultURL}, nil},
		{"every file good", Config{URL: DefaultURL, NKeySeedFile: goodSeed, TLSCA: p.CA, TLSCert: p.ClientCert, TLSKey: p.ClientKey}, nil},
		{"credentials file", Config{URL: DefaultURL, Creds: goodCreds}, nil},
		{"two credentials", Config{URL: "nats://a:b@h:4222", User: "u", Password: "p", Creds: goodCreds},
			[]string{"NATS credentials: set only one of credentials in NATS_URL, NATS_USER/NATS_PASSWORD, NATS_CREDS"}},
		{"a token in one URL of a list", Config{URL: "nats://h1:4222, tok@h2:4222", NKeySeedFile: goodSeed},
			[]string{"NATS credentials: set only one of credentials in NATS_URL, NATS_NKEY_SEED_FILE"}},
		{"halves", Config{URL: DefaultURL, Password: "p", TLSKey: p.ClientKey},
			[]string{"NATS_PASSWORD needs NATS_USER", "NATS_TLS_CERT and NATS_TLS_KEY go together"}},
		{"user alone", Config{URL: DefaultURL, User: "u"}, []string{"NATS_USER needs NATS_PASSWORD"}},
		{"missing files", Config{URL: DefaultURL, Creds: missing, TLSCA: missing},
			[]string{"NATS_CREDS: cannot read " + missing + ": no such file or directory",
				"NATS_TLS_CA: cannot read " + missing + ": no such file or directory"}},
		{"files that hold something else", Config{URL: DefaultURL, TLSCA: garbage, TLSCert: p.ClientCert, TLSKey: p.ServerCert, NKeySeedFile: garbage},
			[]string{"NATS_TLS_CA: no PEM certificate in " + garbage,
				"NATS_TLS_CERT and NATS_TLS_KEY: tls: found a certificate rather than a key in the PEM for the private key",
				"NATS_NKEY_SEED_FILE: " + garbage + ": nkeys: no nkey seed found"}},
		{"a credentials file that is not one", Config{URL: DefaultURL, Creds: garbage},
			[]string{"NATS_CREDS: " + garbage + " does not hold a user JWT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			if err := tc.cfg.Validate(); err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	c := Config{URL: "nats://halyard:hunter22@n1:4222,nats://tok3n@n2:4222", User: "halyard", Password: "hunter22",
		Creds: "/etc/nats/u.creds", NKeySeedFile: "/etc/nats/u.nk", TLSCA: "/ca.pem", TLSCert: "/c.pem", TLSKey: "/k.pem"}
	want := Config{URL: "nats://halyard:redacted@n1:4222,nats://redacted@n2:4222", User: "halyard", Password: "[redacted]",
		Creds: "/etc/nats/u.creds", NKeySeedFile: "/etc/nats/u.nk", TLSCA: "/ca.pem", TLSCert: "/c.pem", TLSKey: "/k.pem"}
	if diff := cmp.Diff(want, c.Redacted()); diff != "" {
		t.Errorf("Redacted mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Config{URL: DefaultURL}, Config{URL: DefaultURL}.Redacted()); diff != "" {
		t.Errorf("Redacted without secrets mismatch (-want +got):\n%s", diff)
	}
}
