package natssub

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/snapsig"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func newSigner(tb testing.TB) *snapsig.Signer {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return snapsig.NewSigner(key)
}

// publishSigned puts a snapshot on its subject as a signing writer does; sign may change the message after
// signing (a forgery).
func publishSigned(tb testing.TB, js jetstream.JetStream, snap *wire.Snapshot, s *snapsig.Signer, forge func(*nats.Msg)) {
	tb.Helper()
	data, err := wire.Encode(snap)
	if err != nil {
		tb.Fatal(err)
	}
	msg := nats.NewMsg(testPrefix + "." + strconv.FormatInt(snap.EnvironmentID, 10))
	msg.Data = data
	msg.Header.Set("Halyard-Version", strconv.FormatInt(snap.Version, 10))
	msg.Header.Set("Halyard-Environment", strconv.FormatInt(snap.EnvironmentID, 10))
	if s != nil {
		s.Sign(msg.Subject, msg.Header, msg.Data)
	}
	if forge != nil {
		forge(msg)
	}
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}

// followVerifying starts a follower checking signatures with keys, logging to log.
func followVerifying(tb testing.TB, js jetstream.JetStream, log *zap.Logger, keys ...*snapsig.Signer) *follower {
	tb.Helper()
	var pubs []ed25519.PublicKey
	for _, k := range keys {
		pubs = append(pubs, k.Public())
	}
	f := &follower{st: store.New()}
	f.Follower = New(js, testStream, testPrefix, f.st, log, OnApplied(f.onApplied), Observe(recorder{f}),
		VerifySignatures(snapsig.NewVerifier(pubs...)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.Run(ctx); err != nil {
			tb.Errorf("Run: %v", err)
		}
	}()
	tb.Cleanup(func() { cancel(); <-done })
	return f
}

// TestSignatures: a follower given a public key applies only what that key signed; an unsigned snapshot,
// one signed with another key, and a real signature over a forged body or version are each rejected
// (reason signature, logged once per version), the current state kept, and later signed changes applied.
func TestSignatures(t *testing.T) {
	js := connect(t, port(startNATS(t, -1)))
	createStream(t, js)
	writer, stranger := newSigner(t), newSigner(t)
	core, logs := observer.New(zapcore.InfoLevel)
	f := followVerifying(t, js, zap.New(core), writer)
	f.waitCaughtUp(t)
	publishSigned(t, js, snapshot(1, 1), writer, nil)
	f.waitVersion(t, 1, 1)

	bodyOf := func(snap *wire.Snapshot) []byte { b, _ := wire.Encode(snap); return b }
	forgeries := []struct {
		name   string
		signer *snapsig.Signer
		forge  func(*nats.Msg)
	}{
		{"unsigned", nil, nil},
		{"unsigned again (redelivered)", nil, nil},
		{"another key", stranger, nil},
		{"a forged body under a real signature", writer, func(m *nats.Msg) { m.Data = bodyOf(snapshot(1, 3)) }},
		{"a forged version header under a real signature", writer, func(m *nats.Msg) { m.Header.Set("Halyard-Version", "9") }},
	}
	for i, tc := range forgeries {
		publishSigned(t, js, snapshot(1, 2), tc.signer, tc.forge)
		waitFor(t, tc.name+" rejected", func() error {
			if n := len(f.rejections()); n != i+1 {
				return fmt.Errorf("%d rejections", n)
			}
			return nil
		})
		if got := f.versions(); got[1] != 1 {
			t.Fatalf("%s: store holds %v; want environment 1 kept at v1", tc.name, got)
		}
	}
	publishSigned(t, js, snapshot(1, 4), writer, nil)
	f.waitVersion(t, 1, 4)

	want := []string{RejectSignature, RejectSignature, RejectSignature, RejectSignature, RejectSignature}
	if diff := cmp.Diff(want, f.rejections()); diff != "" {
		t.Errorf("rejections mismatch (-want +got):\n%s", diff)
	}
	var versions []int64
	for _, e := range logs.FilterMessageSnippet("cannot apply snapshot").All() {
		versions = append(versions, e.ContextMap()["version"].(int64))
	}
	// Logged once per environment, reason and version: v2 twice in a row is one line; the forged header says v9.
	if diff := cmp.Diff([]int64{2, 9}, versions); diff != "" {
		t.Errorf("logged versions mismatch (-want +got):\n%s", diff)
	}
}

// TestUnsignedCatalogIgnored: a catalog no accepted key signed cannot hold a follower back from ready by
// naming environments that do not exist; the writer's signed one is taken.
func TestUnsignedCatalogIgnored(t *testing.T) {
	js := connect(t, port(startNATS(t, -1)))
	createStream(t, js)
	writer := newSigner(t)
	publishSigned(t, js, snapshot(1, 1), writer, nil)
	publishCatalog(t, js, map[int64]int64{1: 1, 99: 5})
	f := followVerifying(t, js, zap.NewNop(), writer)
	f.waitCaughtUp(t)
	if diff := cmp.Diff([]string{RejectSignature}, f.rejections()); diff != "" {
		t.Errorf("rejections mismatch (-want +got):\n%s", diff)
	}

	data, err := wire.EncodeCatalog(&wire.Catalog{Format: wire.FormatVersion, Versions: map[int64]int64{1: 1, 2: 1}})
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(testPrefix + "." + wire.CatalogSubject)
	msg.Data = data
	writer.Sign(msg.Subject, msg.Header, msg.Data)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the signed catalog taken", func() error {
		if got := f.Missing(); len(got) != 1 || got[0] != 2 {
			return fmt.Errorf("missing %v, want [2]", got)
		}
		return nil
	})
}

// TestSignatureRotation: while two keys are accepted, snapshots signed with either apply; once the old key
// is removed (a restarted follower), its snapshots are refused and the new key's still apply.
func TestSignatureRotation(t *testing.T) {
	js := connect(t, port(startNATS(t, -1)))
	createStream(t, js)
	oldKey, newKey := newSigner(t), newSigner(t)
	publishSigned(t, js, snapshot(1, 1), oldKey, nil)
	publishSigned(t, js, snapshot(2, 1), newKey, nil)

	both := followVerifying(t, js, zap.NewNop(), oldKey, newKey)
	both.waitCaughtUp(t)
	if diff := cmp.Diff(map[int64]int64{1: 1, 2: 1}, both.versions()); diff != "" {
		t.Errorf("with both keys: versions mismatch (-want +got):\n%s", diff)
	}

	next := followVerifying(t, js, zap.NewNop(), newKey)
	next.waitCaughtUp(t)
	if diff := cmp.Diff(map[int64]int64{2: 1}, next.versions()); diff != "" {
		t.Errorf("with the new key only: versions mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{RejectSignature}, next.rejections()); diff != "" {
		t.Errorf("with the new key only: rejections mismatch (-want +got):\n%s", diff)
	}
	publishSigned(t, js, snapshot(1, 2), newKey, nil) // the writer re-signs with the new key
	next.waitVersion(t, 1, 2)
	both.waitVersion(t, 1, 2)
}
