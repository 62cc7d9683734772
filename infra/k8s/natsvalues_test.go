package k8s

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// The values file for the official NATS Helm chart and the example of the Secret it reads.
const (
	natsValuesFile  = "nats/values.yaml"
	natsUsersSecret = "nats/users-secret.example.yaml"
	// natsNamespace and natsService are where the docs install the chart (release "nats").
	natsNamespace = "nats"
	natsService   = "nats"
	writerUser    = "halyard-writer"
	evaluatorUser = "halyard-evaluator"
)

// natsValues is the part of the chart's values the file sets. It is decoded strictly because Helm
// silently ignores a key it does not know: "jetStream" instead of "jetstream" would quietly give a
// cluster without JetStream. A key the chart knows but this struct does not must be added here.
type natsValues struct {
	Config struct {
		Cluster struct {
			Enabled  bool `json:"enabled"`
			Replicas int  `json:"replicas"`
		} `json:"cluster"`
		JetStream struct {
			Enabled   bool `json:"enabled"`
			FileStore struct {
				Enabled bool `json:"enabled"`
				PVC     struct {
					Size string `json:"size"`
				} `json:"pvc"`
			} `json:"fileStore"`
			MemoryStore struct {
				Enabled bool `json:"enabled"`
			} `json:"memoryStore"`
		} `json:"jetstream"`
		Merge natsMerge `json:"merge"`
	} `json:"config"`
	Container struct {
		Env map[string]struct {
			ValueFrom corev1.EnvVarSource `json:"valueFrom"`
		} `json:"env"`
		Resources corev1.ResourceRequirements `json:"resources"`
	} `json:"container"`
	PodTemplate struct {
		TopologySpreadConstraints map[string]struct {
			MaxSkew           int    `json:"maxSkew"`
			WhenUnsatisfiable string `json:"whenUnsatisfiable"`
		} `json:"topologySpreadConstraints"`
	} `json:"podTemplate"`
	NatsBox struct {
		Enabled bool `json:"enabled"`
	} `json:"natsBox"`
}

// natsMerge is the NATS server configuration merged into the chart's (nats-server config syntax, with the
// chart's "<< raw >>" escape for variables and units).
type natsMerge struct {
	MaxPayload    string `json:"max_payload"`
	Authorization struct {
		Users []natsUser `json:"users"`
	} `json:"authorization"`
}

type natsUser struct {
	User        string `json:"user"`
	Password    string `json:"password"`
	Permissions struct {
		Publish   natsSubjects `json:"publish"`
		Subscribe natsSubjects `json:"subscribe"`
	} `json:"permissions"`
}

type natsSubjects struct {
	Allow []string `json:"allow"`
	Deny  []string `json:"deny"`
}

func readNATSValues(tb testing.TB) natsValues {
	tb.Helper()
	doc, err := os.ReadFile(natsValuesFile)
	if err != nil {
		tb.Fatal(err)
	}
	var v natsValues
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		tb.Fatalf("%s: %v", natsValuesFile, err)
	}
	return v
}

func (v natsValues) user(name string) *natsUser {
	for i, u := range v.Config.Merge.Authorization.Users {
		if u.User == name {
			return &v.Config.Merge.Authorization.Users[i]
		}
	}
	return nil
}

// TestNATSValues: a 3-node JetStream cluster on file storage, at least as many nodes as the writer's stream
// replicas, and the two users with their passwords from the Secret.
func TestNATSValues(t *testing.T) {
	v := readNATSValues(t)
	c := v.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != 3 {
		t.Errorf("cluster: enabled %v, replicas %d; want a 3-node cluster", c.Cluster.Enabled, c.Cluster.Replicas)
	}
	if !c.JetStream.Enabled || !c.JetStream.FileStore.Enabled || c.JetStream.MemoryStore.Enabled {
		t.Errorf("jetstream: enabled %v, file store %v, memory store %v; want JetStream on file storage only",
			c.JetStream.Enabled, c.JetStream.FileStore.Enabled, c.JetStream.MemoryStore.Enabled)
	}
	m := render(t, productionDir)
	replicas, _ := m.envValue(&m.deployment(writer).Spec.Template.Spec.Containers[0], "HALYARD_STREAM_REPLICAS")
	if replicas != "3" {
		t.Errorf("writer HALYARD_STREAM_REPLICAS = %q, want 3 (one copy per NATS node)", replicas)
	}
	var names []string
	for _, u := range c.Merge.Authorization.Users {
		names = append(names, u.User)
	}
	if !slices.Equal(names, []string{writerUser, evaluatorUser}) {
		t.Errorf("users %v, want %v", names, []string{writerUser, evaluatorUser})
	}
	checkNATSPasswords(t, v)
	snapshotsOnly := snapshotStream(t, m).prefix + ".>"
	if u := v.user(writerUser); u == nil || !slices.Contains(u.Permissions.Publish.Allow, snapshotsOnly) {
		t.Errorf("user %s may not publish %s", writerUser, snapshotsOnly)
	}
	if u := v.user(evaluatorUser); u == nil || !slices.Contains(u.Permissions.Publish.Deny, snapshotsOnly) {
		t.Errorf("user %s is not denied publishing %s", evaluatorUser, snapshotsOnly)
	}
}

// rawVar matches the chart's escape for an unquoted variable reference: "<< $NAME >>".
var rawVar = regexp.MustCompile(`^<<\s+\$(\w+)\s+>>$`)

// checkNATSPasswords: every password is a variable the NATS container gets from a key of the users'
// Secret, never a literal in the values file.
func checkNATSPasswords(tb testing.TB, v natsValues) {
	tb.Helper()
	secret := readSecret(tb, natsUsersSecret)
	if secret.Namespace != natsNamespace {
		tb.Errorf("%s: namespace %q, want %q", natsUsersSecret, secret.Namespace, natsNamespace)
	}
	for _, u := range v.Config.Merge.Authorization.Users {
		match := rawVar.FindStringSubmatch(u.Password)
		if match == nil {
			tb.Errorf("user %s: password %q is not a << $VARIABLE >> from the environment", u.User, u.Password)
			continue
		}
		env, ok := v.Container.Env[match[1]]
		ref := env.ValueFrom.SecretKeyRef
		if !ok || ref == nil || ref.Name != secret.Name || !secretKeys(secret)[ref.Key] {
			tb.Errorf("user %s: container env %s does not come from a key of Secret %s", u.User, match[1], secret.Name)
		}
	}
}

func readSecret(tb testing.TB, path string) *corev1.Secret {
	tb.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var s corev1.Secret
	if err := yaml.UnmarshalStrict(doc, &s); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return &s
}

// TestNATSURLs: the example Secrets' NATS_URLs name the user each workload has in the values file, and
// the chart's Service in the namespace the NetworkPolicies let them reach.
func TestNATSURLs(t *testing.T) {
	v := readNATSValues(t)
	m := render(t, baseDir)
	for _, tc := range []struct{ secret, user string }{{writer, writerUser}, {evaluator, evaluatorUser}} {
		raw := m.secret(tc.secret).StringData["NATS_URL"]
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("Secret %s NATS_URL: %v", tc.secret, err)
			continue
		}
		if u.User.Username() != tc.user || v.user(tc.user) == nil {
			t.Errorf("Secret %s NATS_URL user %q, want %q, a user in %s", tc.secret, u.User.Username(), tc.user, natsValuesFile)
		}
		if want := natsService + "." + natsNamespace + ".svc.cluster.local:4222"; u.Host != want {
			t.Errorf("Secret %s NATS_URL host %q, want %q", tc.secret, u.Host, want)
		}
	}
	if !strings.Contains(natsPeer, "kubernetes.io/metadata.name="+natsNamespace) {
		t.Errorf("the NetworkPolicies let pods reach NATS at %q, not in namespace %s", natsPeer, natsNamespace)
	}
}
