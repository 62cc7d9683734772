package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestNATSLeastPrivilege runs the real binaries against a NATS server with the compose cluster's accounts
// (infra/nats/cluster.conf), each process as its own user: the writer publishes, reconciles every second and
// the evaluators follow without a single permissions violation, while the evaluators' credentials can
// neither publish a snapshot or the catalog nor change the stream, and the writer's cannot purge or delete
// it.
func TestNATSLeastPrivilege(t *testing.T) {
	root, err := cluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := cluster.ComposeAccounts(root)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	c := startClusterWith(t, 1, func(o *cluster.Options) {
		o.NATSAccounts = accounts
		o.WriterEnv = append(o.WriterEnv, "HALYARD_RECONCILE_INTERVAL=1s")
		o.Logs = io.MultiWriter(logs, orDiscard(o.Logs))
	})
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	if _, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("guarded", "ada@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	ada := map[string]any{"email": "ada@example.com"}
	waitFlag(t, c, env.SDKKey, "u", ada, flagIs("guarded", true))

	subject := fmt.Sprintf("halyard.snapshot.%d", env.ID)
	evaluator := connectAs(t, c.NATS.EvaluatorURL())
	writer := connectAs(t, c.NATS.WriterURL())
	for _, tc := range []struct {
		name, subject string
		as            *natsUser
		do            func(context.Context, jetstream.JetStream) error
	}{
		{"evaluator publishes a snapshot", subject, evaluator, func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.Publish(ctx, subject, []byte("forged"))
			return err
		}},
		{"evaluator publishes the catalog", "halyard.snapshot.catalog", evaluator, func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.Publish(ctx, "halyard.snapshot.catalog", []byte("forged"))
			return err
		}},
		{"evaluator purges the stream", "$JS.API.STREAM.PURGE.HALYARD_SNAPSHOTS", evaluator, purgeSnapshots},
		{"evaluator deletes the stream", "$JS.API.STREAM.DELETE.HALYARD_SNAPSHOTS", evaluator, deleteSnapshots},
		{"evaluator changes the stream", "$JS.API.STREAM.UPDATE.HALYARD_SNAPSHOTS", evaluator, func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.UpdateStream(ctx, jetstream.StreamConfig{Name: "HALYARD_SNAPSHOTS", Subjects: []string{"halyard.snapshot.>"}, MaxAge: time.Second})
			return err
		}},
		{"writer purges the stream", "$JS.API.STREAM.PURGE.HALYARD_SNAPSHOTS", writer, purgeSnapshots},
		{"writer deletes the stream", "$JS.API.STREAM.DELETE.HALYARD_SNAPSHOTS", writer, deleteSnapshots},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.as.denied(t, tc.subject, tc.do) })
	}

	patch := map[string]any{"filters": emailFlag("guarded", "grace@example.com")["filters"]}
	if _, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "guarded"), patch, nil); err != nil {
		t.Fatal(err)
	}
	waitFlag(t, c, env.SDKKey, "u", ada, flagIs("guarded", false))
	reconciled(t, evaluator.js, 2)
	text := logs.String()
	for _, bad := range []string{"ermissions violation", "reconciling the stream with the database failed"} {
		if strings.Contains(text, bad) {
			t.Errorf("a process logged %q:\n%s", bad, linesWith(text, bad))
		}
	}
}

// reconciled waits until the writer's reconciler finished passes more passes: each one ends by publishing
// the catalog, after reading every subject's last message.
func reconciled(tb testing.TB, js jetstream.JetStream, passes uint64) {
	tb.Helper()
	ctx := context.Background()
	lastSeq := func() (uint64, error) {
		st, err := js.Stream(ctx, "HALYARD_SNAPSHOTS")
		if err != nil {
			return 0, err
		}
		return st.CachedInfo().State.LastSeq, nil
	}
	from, err := lastSeq()
	if err != nil {
		tb.Fatal(err)
	}
	checkFor(tb, 10*time.Second, 50*time.Millisecond, func() error {
		seq, err := lastSeq()
		if err == nil && seq < from+passes {
			err = fmt.Errorf("the stream's last sequence is %d, want %d: the reconciler publishes no catalog", seq, from+passes)
		}
		return err
	})
}

// flagIs checks that the answer enables key or not.
func flagIs(key string, enabled bool) func(*admin.FlagsResponse) error {
	return func(r *admin.FlagsResponse) error {
		if got := r.Flags[key].Enabled; got != enabled {
			return fmt.Errorf("%s is %v, want %v", key, got, enabled)
		}
		return nil
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// linesWith returns text's lines holding s.
func linesWith(text, s string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

func purgeSnapshots(ctx context.Context, js jetstream.JetStream) error {
	st, err := js.Stream(ctx, "HALYARD_SNAPSHOTS")
	if err != nil {
		return err
	}
	return st.Purge(ctx)
}

func deleteSnapshots(ctx context.Context, js jetstream.JetStream) error {
	return js.DeleteStream(ctx, "HALYARD_SNAPSHOTS")
}

// natsUser is a test's connection as one NATS user, keeping the server's asynchronous errors (permissions
// violations arrive that way).
type natsUser struct {
	js   jetstream.JetStream
	errs chan error
}

func connectAs(tb testing.TB, url string) *natsUser {
	tb.Helper()
	u := &natsUser{errs: make(chan error, 64)}
	nc, err := nats.Connect(url, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case u.errs <- err:
		default:
		}
	}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	if u.js, err = jetstream.New(nc); err != nil {
		tb.Fatal(err)
	}
	return u
}

// denied runs do and checks that it failed and that the server reported a permissions violation for a
// publish to subject.
func (u *natsUser) denied(tb testing.TB, subject string, do func(context.Context, jetstream.JetStream) error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := do(ctx, u.js); err == nil {
		tb.Fatal("allowed")
	}
	want := `Permissions Violation for Publish to "` + subject + `"`
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-u.errs:
			if strings.Contains(err.Error(), want) {
				return
			}
		case <-deadline:
			tb.Fatalf("refused, but the server reported no %s", want)
		}
	}
}
