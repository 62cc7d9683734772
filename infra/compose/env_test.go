package compose

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
)

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// natsServerVersion is the version of nats-server that infra/go.mod requires: the one every test of the
// workspace runs, and so the one the NATS image must be.
func natsServerVersion(tb testing.TB) string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "infra/go.mod"))
	if err != nil {
		tb.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/nats-io/nats-server/v2 (v\S+)`).FindSubmatch(data)
	if m == nil {
		tb.Fatal("infra/go.mod does not require github.com/nats-io/nats-server/v2")
	}
	return string(m[1])
}

// env returns a service's environment as plain strings (unset variables as "<unset>").
func env(tb testing.TB, p *types.Project, name string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for k, v := range service(tb, p, name).Environment {
		out[k] = "<unset>"
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

func TestEnvironment(t *testing.T) {
	natsURL := func(user, pw string) string {
		var urls []string
		for _, n := range natsNodes {
			urls = append(urls, "nats://"+user+":"+pw+"@"+n+":4222")
		}
		return strings.Join(urls, ",")
	}
	tests := []struct {
		name    string
		env     []string
		service string
		want    map[string]string
	}{
		{
			name:    "writer with the development defaults",
			service: "writer",
			want: map[string]string{
				"DATABASE_URL":            "postgres://halyard:halyard@postgres:5432/halyard?sslmode=disable",
				"NATS_URL":                natsURL("writer", "halyard-writer-dev"),
				"WRITER_ADDR":             ":8080",
				"HALYARD_ADMIN_ADDR":      ":9090",
				"HALYARD_ADMIN_TOKEN":     "halyard-dev-admin-token",
				"HALYARD_STREAM_REPLICAS": "3",
			},
		},
		{
			name: "writer with secrets from the environment",
			env: []string{"HALYARD_ADMIN_TOKEN=s3cret-s3cret-s3cret", "HALYARD_POSTGRES_PASSWORD=pg",
				"HALYARD_NATS_WRITER_PASSWORD=nw"},
			service: "writer",
			want: map[string]string{
				"DATABASE_URL":            "postgres://halyard:pg@postgres:5432/halyard?sslmode=disable",
				"NATS_URL":                natsURL("writer", "nw"),
				"WRITER_ADDR":             ":8080",
				"HALYARD_ADMIN_ADDR":      ":9090",
				"HALYARD_ADMIN_TOKEN":     "s3cret-s3cret-s3cret",
				"HALYARD_STREAM_REPLICAS": "3",
			},
		},
		{
			name:    "evaluator",
			env:     []string{"HALYARD_NATS_EVALUATOR_PASSWORD=ne"},
			service: "evaluator-3",
			want: map[string]string{
				"NATS_URL": natsURL("evaluator", "ne"), "EVALUATOR_ADDR": ":8081", "HALYARD_ADMIN_ADDR": ":9090",
			},
		},
		{
			name:    "seed",
			service: "seed",
			want:    map[string]string{"HALYARD_WRITER_URL": "http://writer:8080", "HALYARD_ADMIN_TOKEN": "halyard-dev-admin-token"},
		},
		{
			name:    "postgres",
			env:     []string{"HALYARD_POSTGRES_PASSWORD=pg"},
			service: "postgres",
			want:    map[string]string{"POSTGRES_USER": "halyard", "POSTGRES_PASSWORD": "pg", "POSTGRES_DB": "halyard"},
		},
		{
			name:    "a NATS node",
			env:     []string{"HALYARD_NATS_ROUTE_PASSWORD=r"},
			service: "nats-2",
			want: map[string]string{
				"NATS_SERVER_NAME":    "nats-2",
				"NATS_ROUTE_PASSWORD": "r",
				"NATS_ROUTES": "[nats-route://route:r@nats-1:6222, nats-route://route:r@nats-2:6222, " +
					"nats-route://route:r@nats-3:6222]",
				"NATS_WRITER_PASSWORD":    "halyard-writer-dev",
				"NATS_EVALUATOR_PASSWORD": "halyard-evaluator-dev",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := env(t, loadProject(t, tt.env), tt.service)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("environment mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCredentialsAgree checks, with the defaults and with every secret overridden, that each client
// presents the credentials its server expects: a secret changed in one place only would leave a cluster
// that starts and then cannot connect.
func TestCredentialsAgree(t *testing.T) {
	for _, vars := range [][]string{nil, {"HALYARD_POSTGRES_PASSWORD=a", "HALYARD_NATS_WRITER_PASSWORD=b",
		"HALYARD_NATS_EVALUATOR_PASSWORD=c", "HALYARD_NATS_ROUTE_PASSWORD=d", "HALYARD_ADMIN_TOKEN=eeeeeeeeeeeeeeee"}} {
		t.Run(strings.Join(vars, " "), func(t *testing.T) {
			p := loadProject(t, vars)
			pg, writer := env(t, p, "postgres"), env(t, p, "writer")
			db, err := url.Parse(writer["DATABASE_URL"])
			if err != nil {
				t.Fatal(err)
			}
			if pw, _ := db.User.Password(); db.User.Username() != pg["POSTGRES_USER"] || pw != pg["POSTGRES_PASSWORD"] ||
				db.Path != "/"+pg["POSTGRES_DB"] {
				t.Errorf("DATABASE_URL %s does not match postgres's user, password and database", db.Redacted())
			}
			if seed := env(t, p, "seed"); seed["HALYARD_ADMIN_TOKEN"] != writer["HALYARD_ADMIN_TOKEN"] {
				t.Error("the seed's admin token is not the writer's")
			}
			for _, n := range natsNodes {
				node := env(t, p, n)
				checkNATSUser(t, "writer", writer["NATS_URL"], "writer", node["NATS_WRITER_PASSWORD"])
				for _, e := range evaluators {
					checkNATSUser(t, e, env(t, p, e)["NATS_URL"], "evaluator", node["NATS_EVALUATOR_PASSWORD"])
				}
				routes := strings.Split(strings.Trim(node["NATS_ROUTES"], "[]"), ",")
				checkURLs(t, n+" routes", routes, "nats-route", "route", node["NATS_ROUTE_PASSWORD"], "6222")
			}
		})
	}
}

func checkNATSUser(tb testing.TB, service, natsURL, user, password string) {
	tb.Helper()
	checkURLs(tb, service+" NATS_URL", strings.Split(natsURL, ","), "nats", user, password, "4222")
}

// checkURLs checks that urls name every NATS node once, each with the scheme, user, password and port given.
func checkURLs(tb testing.TB, what string, urls []string, scheme, user, password, port string) {
	tb.Helper()
	var hosts []string
	for _, raw := range urls {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			tb.Errorf("%s: %v", what, err)
			continue
		}
		if pw, _ := u.User.Password(); u.Scheme != scheme || u.User.Username() != user || pw != password || u.Port() != port {
			tb.Errorf("%s: %s, want %s://%s:<its password>@…:%s", what, u.Redacted(), scheme, user, port)
		}
		hosts = append(hosts, u.Hostname())
	}
	if diff := cmp.Diff(natsNodes, hosts); diff != "" {
		tb.Errorf("%s: hosts mismatch (-want +got):\n%s", what, diff)
	}
}
