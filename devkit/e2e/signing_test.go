package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
)

// TestSignedSnapshots runs the real binaries with a signing writer (HALYARD_SIGNING_KEY_FILE) and an
// evaluator that accepts only its key (HALYARD_SNAPSHOT_PUBLIC_KEYS): a snapshot forged by someone who can
// publish to NATS (the environment's real snapshot with its flags removed and a higher version, carrying the
// real snapshot's signature headers) is refused and counted, the flag keeps its answer, and a real change
// made afterwards still applies.
func TestSignedSnapshots(t *testing.T) {
	keyFile, publicKey := signingKey(t)
	c := startClusterWith(t, 1, func(o *cluster.Options) {
		o.WriterEnv = append(o.WriterEnv, "HALYARD_SIGNING_KEY_FILE="+keyFile)
		o.EvaluatorEnv = append(o.EvaluatorEnv, "HALYARD_SNAPSHOT_PUBLIC_KEYS="+publicKey)
	})
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	if _, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("guarded", "ada@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	ada := map[string]any{"email": "ada@example.com"}
	waitFlag(t, c, env.SDKKey, "u", ada, flagIs("guarded", true))

	forgeSnapshot(t, c, env.ID)
	ev := c.Evaluators[0]
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		n, err := metricValue(ev, `halyard_snapshots_rejected_total{reason="signature"}`)
		if err == nil && n < 1 {
			err = fmt.Errorf("%s rejected no snapshot for its signature yet", ev.Name)
		}
		return err
	})
	if err := flagIs("guarded", true)(flags(t, ev, env.SDKKey, "u", ada)); err != nil {
		t.Fatalf("after the forged snapshot: %v", err)
	}

	patch := map[string]any{"filters": emailFlag("guarded", "grace@example.com")["filters"]}
	if _, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "guarded"), patch, nil); err != nil {
		t.Fatal(err)
	}
	waitFlag(t, c, env.SDKKey, "u", map[string]any{"email": "grace@example.com"}, flagIs("guarded", true))
}

// forgeSnapshot publishes the environment's snapshot with every flag removed, 100 versions ahead, with the
// real snapshot's signature headers.
func forgeSnapshot(tb testing.TB, c *cluster.Cluster, envID int64) {
	tb.Helper()
	js, closeNC := jetStream(tb, c)
	defer closeNC()
	ctx := context.Background()
	st, err := js.Stream(ctx, "HALYARD_SNAPSHOTS")
	if err != nil {
		tb.Fatal(err)
	}
	subject := "halyard.snapshot." + strconv.FormatInt(envID, 10)
	real, err := st.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		tb.Fatal(err)
	}
	snap, err := wire.Decode(real.Data)
	if err != nil {
		tb.Fatal(err)
	}
	snap.Version += 100
	snap.Flags = nil
	msg := nats.NewMsg(subject)
	if msg.Data, err = wire.Encode(snap); err != nil {
		tb.Fatal(err)
	}
	for name, values := range real.Header {
		if strings.HasPrefix(name, "Halyard-") { // not the stored Nats-* expectations of the real publish
			msg.Header[name] = values
		}
	}
	msg.Header.Set("Halyard-Version", strconv.FormatInt(snap.Version, 10))
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		tb.Fatal(err)
	}
}

// signingKey writes a new Ed25519 private key as openssl would (PKCS #8 PEM) and returns its file and the
// public key as HALYARD_SNAPSHOT_PUBLIC_KEYS takes it (the base64 of `openssl pkey -pubout -outform DER`).
func signingKey(tb testing.TB) (file, public string) {
	tb.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	file = filepath.Join(tb.TempDir(), "signing.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return file, base64.StdEncoding.EncodeToString(pubDER)
}
