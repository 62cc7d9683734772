package publisher

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/shared/snapsig"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func newSigner(tb testing.TB) *snapsig.Signer {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return snapsig.NewSigner(key)
}

// withCatalog undoes newWriter's withoutCatalog.
func withCatalog() Option { return func(p *Publisher) { p.noCatalog = false } }

// TestSignedSnapshots: with a signing key, every snapshot and the catalog carry a signature of that key over
// their subject, headers and body.
func TestSignedSnapshots(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	signer := newSigner(t)
	w := newWriter(t, newDatabase(t), js, nil, Sign(signer), withCatalog()).run(t)
	env := newEnvironment(t, w.db)
	waitPublished(t, js, w.db, env, addFlag(t, w.db, env))
	verifier := snapsig.NewVerifier(signer.Public())
	for _, subject := range []string{testStream.Subject(env), testStream.SubjectPrefix + "." + wire.CatalogSubject} {
		var m *jetstream.RawStreamMsg
		waitFor(t, subject, func() (err error) { m, err = lastMsg(js, subject); return err })
		if err := verifier.Verify(subject, m.Header, m.Data); err != nil {
			t.Errorf("%s: %v", subject, err)
		}
		if got := m.Header.Get(snapsig.HeaderKeyID); got != signer.KeyID() {
			t.Errorf("%s: key id %q, want %q", subject, got, signer.KeyID())
		}
	}
}

// TestForgedSnapshotReplaced: a snapshot this writer did not sign, claiming a newer version than the
// database's, is no reason to skip a publish: the next change is published over it, and without any change
// the reconciler replaces it. Unsigned, it would hold the environment's real changes back until the database
// caught up with the forged version.
func TestForgedSnapshotReplaced(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	signer, stranger := newSigner(t), newSigner(t)
	w := newWriter(t, newDatabase(t), js, nil, Sign(signer), ReconcileInterval(200*time.Millisecond)).run(t)
	tests := []struct {
		name  string
		sign  func(*nats.Msg)
		edits bool // a change follows the forgery; else only the reconciler can notice
	}{
		{"unsigned, then a change", func(*nats.Msg) {}, true},
		{"signed with another key, then a change", func(m *nats.Msg) { stranger.Sign(m.Subject, m.Header, m.Data) }, true},
		{"signature copied from a real snapshot, then a change", nil, true},
		{"unsigned, no change", func(*nats.Msg) {}, false},
		{"signed with another key, no change", func(m *nats.Msg) { stranger.Sign(m.Subject, m.Header, m.Data) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnvironment(t, w.db)
			version := addFlag(t, w.db, env)
			waitPublished(t, js, w.db, env, version)
			real, err := lastMsg(js, testStream.Subject(env))
			if err != nil {
				t.Fatal(err)
			}
			forge(t, js, env, 1000, func(m *nats.Msg) {
				if tt.sign != nil {
					tt.sign(m)
					return
				}
				for _, h := range []string{snapsig.HeaderKeyID, snapsig.HeaderSignature, snapsig.HeaderDigest} {
					m.Header.Set(h, real.Header.Get(h))
				}
			})
			if tt.edits {
				version = addFlag(t, w.db, env)
			}
			got := waitPublished(t, js, w.db, env, version)
			if got.Snapshot != version {
				t.Errorf("stream holds %+v; want v%d", got, version)
			}
		})
	}
}

// TestSigningKeyRotated: a writer started with a new key re-signs, without any change, every snapshot the
// stream holds under the old key, so that evaluators can then drop the old key.
func TestSigningKeyRotated(t *testing.T) {
	url := newDatabase(t)
	ns := startNATS(t)
	js := ns.connect(t)
	oldKey, newKey := newSigner(t), newSigner(t)
	old := newWriter(t, url, js, nil, Sign(oldKey)).run(t)
	var envs []int64
	for range 3 {
		env := newEnvironment(t, old.db)
		waitPublished(t, js, old.db, env, addFlag(t, old.db, env))
		envs = append(envs, env)
	}
	old.cancel()
	<-old.done

	obs := &recorder{}
	newWriter(t, url, js, nil, Sign(newKey), PollInterval(time.Hour), Observe(obs)).run(t)
	for _, env := range envs {
		waitFor(t, fmt.Sprintf("environment %d signed with the new key", env), func() error {
			m, err := lastMsg(js, testStream.Subject(env))
			if err != nil {
				return err
			}
			return snapsig.NewVerifier(newKey.Public()).Verify(m.Subject, m.Header, m.Data)
		})
	}
	// The reconciler counts each, and so does the publish that follows when it reads the message again.
	if got := obs.recoveries(); got[RecoveredUnreadable] < len(envs) || len(got) != 1 {
		t.Errorf("recoveries %v, want %d or more unreadable only", got, len(envs))
	}
}

// forge publishes, behind the writer's back, a well-formed snapshot of the environment at version with the
// writer's headers, signed (or not) by sign.
func forge(tb testing.TB, js jetstream.JetStream, env, version int64, sign func(*nats.Msg)) {
	tb.Helper()
	msg := nats.NewMsg(testStream.Subject(env))
	msg.Data = encodeSnapshot(tb, &wire.Snapshot{Format: wire.FormatVersion, EnvironmentID: env, Version: version})
	msg.Header.Set(HeaderVersion, strconv.FormatInt(version, 10))
	msg.Header.Set(HeaderEnvironment, strconv.FormatInt(env, 10))
	sign(msg)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		tb.Fatal(err)
	}
}

// lastMsg is the subject's last message on the test stream.
func lastMsg(js jetstream.JetStream, subject string) (*jetstream.RawStreamMsg, error) {
	st, err := js.Stream(context.Background(), testStream.Name)
	if err != nil {
		return nil, err
	}
	return st.GetLastMsgForSubject(context.Background(), subject)
}
