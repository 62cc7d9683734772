package k8s

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"sigs.k8s.io/yaml"
)

// natsTestPasswords are what the NATS container would get from the users' Secret: shaped as the docs
// tell operators to make them (a letter, then hex), because NATS parses an environment variable's value.
var natsTestPasswords = map[string]string{
	"HALYARD_WRITER_PASSWORD":    "w0e3b1c9d27f4a8e6b5c0d1f2a3b4c5d6e7f8091a2b3c4d",
	"HALYARD_EVALUATOR_PASSWORD": "e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192",
}

// TestNATSPermissions runs a NATS server with the values file's configuration, then does what the writer
// and the evaluator do on NATS with their users (the calls of services/writer/internal/publisher and
// services/evaluator/internal/natssub: change these when those change) and checks that each user can do
// that much and no more: the evaluator may only read, the writer may not delete.
func TestNATSPermissions(t *testing.T) {
	m := render(t, baseDir)
	snap := snapshotStream(t, m)
	srv := startNATSFromValues(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	w := connectAs(t, srv, writerUser, natsTestPasswords["HALYARD_WRITER_PASSWORD"])
	if _, err := snap.writerPublishes(ctx, w.js, 1); err != nil {
		t.Fatalf("writer: %v (server: %v)", err, w.reported())
	}
	// A second start takes the stream-update path; a second publish reads the last snapshot first.
	st, err := snap.writerPublishes(ctx, w.js, 2)
	if err != nil {
		t.Fatalf("writer, again: %v (server: %v)", err, w.reported())
	}
	w.noViolations(t)

	e := connectAs(t, srv, evaluatorUser, natsTestPasswords["HALYARD_EVALUATOR_PASSWORD"])
	if err := snap.evaluatorFollows(ctx, e.js, 2); err != nil {
		t.Fatalf("evaluator: %v (server: %v)", err, e.reported())
	}
	e.noViolations(t)

	for _, tc := range []struct {
		name string
		as   *natsClient
		do   func(ctx context.Context, js jetstream.JetStream) error
	}{
		{"evaluator publishes a snapshot", e, func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.Publish(ctx, snap.prefix+".1", []byte("forged"))
			return err
		}},
		{"evaluator publishes the catalog", e, func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.Publish(ctx, snap.prefix+".catalog", []byte("forged"))
			return err
		}},
		{"evaluator creates the stream", e, func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.CreateOrUpdateStream(ctx, snap.config())
			return err
		}},
		{"evaluator purges the stream", e, func(ctx context.Context, js jetstream.JetStream) error {
			return purge(ctx, js, snap.name)
		}},
		{"evaluator deletes the stream", e, func(ctx context.Context, js jetstream.JetStream) error {
			return js.DeleteStream(ctx, snap.name)
		}},
		{"writer purges the stream", w, func(ctx context.Context, js jetstream.JetStream) error {
			return purge(ctx, js, snap.name)
		}},
		{"writer deletes the stream", w, func(ctx context.Context, js jetstream.JetStream) error {
			return js.DeleteStream(ctx, snap.name)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
			defer cancel()
			if err := tc.do(ctx, tc.as.js); err == nil {
				t.Fatal("allowed")
			}
			tc.as.violation(t)
		})
	}

	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 || info.State.LastSeq != 4 {
		t.Errorf("stream holds %d messages up to %d; want the writer's second snapshot and catalog only", info.State.Msgs, info.State.LastSeq)
	}
	if _, err := nats.Connect(srv.ClientURL(), nats.UserInfo(evaluatorUser, "wrong")); err == nil {
		t.Error("a wrong password connects")
	}
}

func purge(ctx context.Context, js jetstream.JetStream, name string) error {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return err
	}
	return st.Purge(ctx)
}

// snapshots names the stream and subjects as the Deployments configure them.
type snapshots struct{ name, prefix string }

func snapshotStream(tb testing.TB, m *manifests) snapshots {
	tb.Helper()
	var found []snapshots
	for _, d := range []string{writer, evaluator} {
		c := &m.deployment(d).Spec.Template.Spec.Containers[0]
		name, _ := m.envValue(c, "HALYARD_STREAM")
		prefix, _ := m.envValue(c, "HALYARD_SUBJECT_PREFIX")
		found = append(found, snapshots{name, prefix})
	}
	if found[0] != found[1] || found[0].name == "" || found[0].prefix == "" {
		tb.Fatalf("writer and evaluator disagree on the snapshot stream or its subjects: %+v", found)
	}
	return found[0]
}

// config is the stream as publisher.Ensure creates it, on one replica (the test runs one server).
func (s snapshots) config() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              s.name,
		Subjects:          []string{s.prefix + ".>"},
		MaxMsgsPerSubject: 1,
		Storage:           jetstream.FileStorage,
		Replicas:          1,
		Duplicates:        2 * time.Minute,
		AllowDirect:       true,
		Discard:           jetstream.DiscardOld,
	}
}

// writerPublishes does what a writer does: ensure the stream, read the subject's last snapshot, publish
// the next one de-duplicated and conditional on that last sequence.
func (s snapshots) writerPublishes(ctx context.Context, js jetstream.JetStream, version int) (jetstream.Stream, error) {
	st, err := js.CreateOrUpdateStream(ctx, s.config())
	if err != nil {
		return nil, fmt.Errorf("ensure stream: %w", err)
	}
	subject := s.prefix + ".1"
	var last uint64
	switch m, err := st.GetLastMsgForSubject(ctx, subject); {
	case err == nil:
		last = m.Sequence
	case !errors.Is(err, jetstream.ErrMsgNotFound):
		return nil, fmt.Errorf("last snapshot: %w", err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = []byte("snapshot")
	msg.Header.Set("Halyard-Version", fmt.Sprint(version))
	_, err = js.PublishMsg(ctx, msg, jetstream.WithMsgID(fmt.Sprintf("env-1-v%d", version)),
		jetstream.WithExpectLastSequencePerSubject(last))
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if _, err := js.Publish(ctx, s.prefix+".catalog", []byte("catalog")); err != nil {
		return nil, fmt.Errorf("publish the catalog: %w", err)
	}
	if err := s.writerReconciles(ctx, st); err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	return st, nil
}

// writerReconciles does what the writer's reconciler does (publisher.lastVersions): stream info, then a
// headers-only ordered consumer over every subject's last message, read to the end.
func (s snapshots) writerReconciles(ctx context.Context, st jetstream.Stream) error {
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.prefix + ".*"},
		DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy, HeadersOnly: true})
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			return err
		}
		if meta, err := msg.Metadata(); err != nil || meta.Sequence.Stream >= info.State.LastSeq {
			return err
		}
	}
}

// evaluatorFollows does what an evaluator does: find the stream, then follow it with an ordered consumer
// from the last message per subject until it has the wanted version.
func (s snapshots) evaluatorFollows(ctx context.Context, js jetstream.JetStream, version int) error {
	st, err := js.Stream(ctx, s.name)
	if err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	if _, err := st.Info(ctx); err != nil {
		return fmt.Errorf("stream info: %w", err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.prefix + ".>"},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	got := make(chan string, 16)
	cc, err := cons.Consume(func(msg jetstream.Msg) { got <- msg.Headers().Get("Halyard-Version") })
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	defer cc.Stop()
	for want := fmt.Sprint(version); ; {
		select {
		case v := <-got:
			if v == want {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("no snapshot version %s delivered: %w", want, ctx.Err())
		}
	}
}

// startNATSFromValues starts an in-process server with the NATS configuration the chart would generate
// from the values file's config.merge, the passwords in its environment as the chart's container env
// would set them, and JetStream in a temporary directory.
func startNATSFromValues(tb testing.TB) *server.Server {
	tb.Helper()
	for k, v := range natsTestPasswords {
		tb.Setenv(k, v)
	}
	conf := filepath.Join(tb.TempDir(), "nats.conf")
	if err := os.WriteFile(conf, chartConfig(tb), 0o600); err != nil {
		tb.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		tb.Fatalf("the NATS configuration from %s: %v", natsValuesFile, err)
	}
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.JetStream, opts.StoreDir = true, filepath.Join(tb.TempDir(), "js")
	opts.NoSigs, opts.NoLog = true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		tb.Fatalf("NewServer: %v", err)
	}
	go srv.Start()
	tb.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats server not ready within 10s")
	}
	return srv
}

// chartRaw is the chart's unquoting of "<< raw >>" strings (nats.formatConfig in its _helpers.tpl).
var chartRaw = regexp.MustCompile(`"<<\s+(.*?)\s+>>"`)

// chartConfig renders config.merge the way the chart does: as JSON (valid NATS configuration), with
// "<< raw >>" strings unquoted so variables and units reach the server's parser as written.
func chartConfig(tb testing.TB) []byte {
	tb.Helper()
	doc, err := os.ReadFile(natsValuesFile)
	if err != nil {
		tb.Fatal(err)
	}
	var values struct {
		Config struct {
			Merge map[string]any `json:"merge"`
		} `json:"config"`
	}
	if err := yaml.Unmarshal(doc, &values); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(values.Config.Merge); err != nil {
		tb.Fatal(err)
	}
	return chartRaw.ReplaceAll(buf.Bytes(), []byte("$1"))
}

// natsClient is one user's connection, recording the server's asynchronous errors (permission
// violations arrive that way).
type natsClient struct {
	js   jetstream.JetStream
	errs chan error
}

func connectAs(tb testing.TB, srv *server.Server, user, password string) *natsClient {
	tb.Helper()
	u, err := url.Parse(srv.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	u.User = url.UserPassword(user, password) // as NATS_URL carries them
	c := &natsClient{errs: make(chan error, 64)}
	nc, err := nats.Connect(u.String(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case c.errs <- err:
		default:
		}
	}))
	if err != nil {
		tb.Fatalf("connect as %s: %v", user, err)
	}
	tb.Cleanup(nc.Close)
	if c.js, err = jetstream.New(nc); err != nil {
		tb.Fatal(err)
	}
	return c
}

// reported returns the errors the server reported so far.
func (c *natsClient) reported() error {
	var errs []error
	for {
		select {
		case err := <-c.errs:
			errs = append(errs, err)
		default:
			return errors.Join(errs...)
		}
	}
}

// noViolations fails for any error the server reported so far.
func (c *natsClient) noViolations(tb testing.TB) {
	tb.Helper()
	if err := c.reported(); err != nil {
		tb.Errorf("server reported: %v", err)
	}
}

// violation waits for the server to report a permissions violation.
func (c *natsClient) violation(tb testing.TB) {
	tb.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-c.errs:
			if strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
				return
			}
		case <-deadline:
			tb.Fatal("refused, but the server reported no permissions violation")
		}
	}
}
