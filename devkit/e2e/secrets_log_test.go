package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestNoSecretInLogs: a cluster whose NATS requires a password and whose DATABASE_URL carries one is used
// the way admins and SDKs use it, with every credential (and wrong ones containing them), through a NATS
// outage, at debug level, and stopped; no line any process wrote holds any of the secrets.
func TestNoSecretInLogs(t *testing.T) {
	t.Setenv("HALYARD_LOG_LEVEL", "debug") // every line the processes can write
	adminURL, dbPassword := withPassword(t, os.Getenv("TEST_DATABASE_URL"))
	natsPassword, bootstrap := "nats-"+secret(), "bootstrap-"+secret()
	logs := &lockedBuffer{}
	c := startClusterWith(t, 1, func(o *cluster.Options) {
		o.AdminURL, o.AdminToken, o.NATSUser, o.NATSPassword = adminURL, bootstrap, "halyard", natsPassword
		if o.Logs != nil {
			o.Logs = io.MultiWriter(o.Logs, logs)
		} else {
			o.Logs = logs
		}
	})
	boot, env := newEnvironment(t, c)
	apiClient, created := newToken(t, boot, "log-test", []string{"admin"}, nil)
	if _, err := apiClient.Do(context.Background(), http.MethodPost, admin.FlagsPath(env.ID), emailFlag("secret-flag", "ada@example.com"), nil); err != nil {
		t.Fatalf("create a flag with the API-created token: %v", err)
	}
	wantStatus(t, boot.WithToken(bootstrap+"x"), "/api/v1/projects", http.StatusUnauthorized)
	wantStatus(t, boot.WithToken(created.Token+"x"), "/api/v1/projects", http.StatusUnauthorized)
	ev := c.Evaluators[0]
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		r, err := tryFlags(ev, env.SDKKey, "u", nil)
		if err == nil && r.Flags["secret-flag"].Key == "" {
			err = fmt.Errorf("%s does not serve secret-flag yet", ev.Name)
		}
		return err
	})
	callEvaluator(t, ev, env.SDKKey, env.ServerKey)
	natsOutage(t, c, logs)
	for _, p := range append([]*cluster.Process{c.Writer}, c.Evaluators...) {
		if err := p.Stop(30 * time.Second); err != nil {
			t.Errorf("%s did not stop cleanly: %v", p.Name, err)
		}
	}

	text := logs.String()
	for _, want := range []string{"[writer]", "[evaluator-1]", `"route":"/api/v1/`, "NATS reconnected", "evaluator stopped"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the captured logs lack %q: the test would prove nothing\n%s", want, text)
		}
	}
	secrets := map[string]string{"the NATS password": natsPassword, "the database password": dbPassword,
		"the bootstrap admin token": bootstrap, "the API-created token's secret": created.Token,
		"the SDK key": env.SDKKey, "the server key": env.ServerKey}
	lines := strings.Split(text, "\n")
	for what, s := range secrets {
		for _, line := range lines {
			if strings.Contains(line, s) {
				t.Errorf("%s (%s) is in a log line:\n%s", what, s, line)
			}
		}
	}
	t.Logf("%d log lines checked for %d secrets", len(lines), len(secrets))
}

// callEvaluator uses each key where SDKs send it: in the body, in headers and in the query string, and
// sends each one wrong (with a character appended) too.
func callEvaluator(tb testing.TB, ev *cluster.Process, sdk, server string) {
	tb.Helper()
	for _, call := range []struct {
		method, path, body string
		header             map[string]string
		ok                 bool // 200; else refused with 401 or 403
	}{
		{"POST", "/flags?v=2", `{"token": "` + sdk + `", "distinct_id": "u"}`, nil, true},
		{"POST", "/flags?v=2&token=" + sdk, `{"api_key": "` + sdk + `", "distinct_id": "u"}`, nil, true},
		{"POST", "/decide?v=3", `{"$token": "` + sdk + `", "distinct_id": "u"}`, nil, true},
		{"POST", "/flags?v=2", `{"token": "` + sdk + `x", "distinct_id": "u"}`, nil, false},
		{"POST", "/ofrep/v1/evaluate/flags", `{"context": {"targetingKey": "u"}}`, map[string]string{"Authorization": "Bearer " + sdk}, true},
		{"POST", "/ofrep/v1/evaluate/flags/secret-flag", `{"context": {"targetingKey": "u"}}`, map[string]string{"X-API-Key": sdk}, true},
		{"POST", "/ofrep/v1/evaluate/flags", `{"context": {"targetingKey": "u"}}`, map[string]string{"X-API-Key": sdk + "x"}, false},
		{"GET", "/api/feature_flag/local_evaluation?token=" + sdk, "", map[string]string{"Authorization": "Bearer " + server}, true},
		{"GET", "/flags/definitions?token=" + server, "", map[string]string{"Authorization": "Bearer " + server}, true},
		{"GET", "/flags/definitions", "", map[string]string{"Authorization": "Bearer " + server + "x"}, false},
	} {
		req, err := http.NewRequest(call.method, ev.URL()+call.path, strings.NewReader(call.body))
		if err != nil {
			tb.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range call.header {
			req.Header.Set(k, v)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			tb.Fatalf("%s %s: %v", call.method, call.path, err)
		}
		resp.Body.Close()
		refused := resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden
		if call.ok && resp.StatusCode != http.StatusOK || !call.ok && !refused {
			tb.Errorf("%s %s = %d, want %s", call.method, call.path, resp.StatusCode, map[bool]string{true: "200", false: "401 or 403"}[call.ok])
		}
	}
}

// natsOutage stops NATS until every process has logged that it cannot reach it, then starts it again and
// waits until every process has reconnected.
func natsOutage(tb testing.TB, c *cluster.Cluster, logs *lockedBuffer) {
	tb.Helper()
	c.NATS.Stop()
	checkFor(tb, 20*time.Second, 20*time.Millisecond, func() error {
		if n := strings.Count(logs.String(), "cannot reach NATS"); n < 2 {
			return fmt.Errorf("%d processes logged that NATS is away", n)
		}
		return nil
	})
	if err := c.NATS.Restart(); err != nil {
		tb.Fatal(err)
	}
	checkFor(tb, 20*time.Second, 20*time.Millisecond, func() error {
		if n := strings.Count(logs.String(), "NATS reconnected"); n < 2 {
			return fmt.Errorf("%d processes logged that they reconnected", n)
		}
		return nil
	})
}

func wantStatus(tb testing.TB, cl *admin.Client, path string, want int) {
	tb.Helper()
	r, err := cl.Request(context.Background(), http.MethodGet, path, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if r.Status != want {
		tb.Fatalf("GET %s = %d, want %d", path, r.Status, want)
	}
}

// withPassword returns the admin URL of the test PostgreSQL with a password and that password: the URL's
// own, or a new one (the local server trusts loopback, so any password works and still shows in the URL).
func withPassword(tb testing.TB, adminURL string) (string, string) {
	tb.Helper()
	if adminURL == "" {
		adminURL = cluster.DefaultAdminURL
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		tb.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return adminURL, p
	}
	p := "pg-" + secret()
	u.User = url.UserPassword(u.User.Username(), p)
	return u.String(), p
}

func secret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer collects the output of every process.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
