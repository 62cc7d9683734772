package compose

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The stream and subjects cluster.conf's permissions name: the services' defaults.
const (
	stream  = "HALYARD_SNAPSHOTS"
	subject = "halyard.snapshot.1"
)

// natsClient is a connection whose asynchronous errors (permission violations) are kept.
type natsClient struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func connect(tb testing.TB, s *server.Server, user, password string) *natsClient {
	tb.Helper()
	c := &natsClient{errs: make(chan error, 16)}
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo(user, password),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
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
	c.nc = nc
	return c
}

// denied runs op and checks that the server refused it a publish to subj.
func (c *natsClient) denied(tb testing.TB, subj string, op func(ctx context.Context) error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := op(ctx); err == nil {
		tb.Errorf("publishing to %s succeeded, want a permissions violation", subj)
		return
	}
	want := `Permissions Violation for Publish to "` + subj + `"`
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-c.errs:
			if strings.Contains(err.Error(), want) {
				return
			}
		case <-deadline:
			tb.Errorf("no %q from the server", want)
			return
		}
	}
}

// TestNATSPermissions runs what the writer and the evaluators do on NATS, as the users docker-compose.yml
// gives them, against cluster.conf's accounts: each may do its own part and nothing else.
func TestNATSPermissions(t *testing.T) {
	p := loadProject(t, nil)
	s := startNATS(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	user, password := natsUser(t, p, "writer")
	writer := connect(t, s, user, password)
	// The publisher's stream configuration (services/writer/internal/publisher.Ensure), replicas aside.
	st, err := writer.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: stream, Subjects: []string{"halyard.snapshot.>"}, MaxMsgsPerSubject: 1, Storage: jetstream.FileStorage,
		Duplicates: 2 * time.Minute, AllowDirect: true, Discard: jetstream.DiscardOld,
	})
	if err != nil {
		t.Fatalf("writer: create the stream: %v", err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = []byte("snapshot")
	if _, err := writer.js.PublishMsg(ctx, msg, jetstream.WithMsgID("env-1-v1"), jetstream.WithExpectLastSequencePerSubject(0)); err != nil {
		t.Fatalf("writer: publish a snapshot: %v", err)
	}
	if m, err := st.GetLastMsgForSubject(ctx, subject); err != nil || m.Sequence != 1 {
		t.Fatalf("writer: last message of %s = %v, %v; want sequence 1", subject, m, err)
	}
	if _, err := writer.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{"halyard.snapshot.>"},
		MaxMsgsPerSubject: 1, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute, AllowDirect: true}); err != nil {
		t.Errorf("writer: update the stream (every start does): %v", err)
	}

	user, password = natsUser(t, p, "evaluator-1")
	evaluator := connect(t, s, user, password)
	// The follower's consumer (services/evaluator/internal/natssub).
	est, err := evaluator.js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("evaluator: stream info: %v", err)
	}
	cons, err := est.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"halyard.snapshot.>"}, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		t.Fatalf("evaluator: ordered consumer: %v", err)
	}
	got, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || got.Subject() != subject {
		t.Fatalf("evaluator: next message = %v, %v; want the snapshot on %s", got, err, subject)
	}

	t.Run("the evaluator may not publish a snapshot", func(t *testing.T) {
		evaluator.denied(t, subject, func(ctx context.Context) error {
			_, err := evaluator.js.Publish(ctx, subject, []byte("forged"))
			return err
		})
	})
	t.Run("the evaluator may not change the stream", func(t *testing.T) {
		evaluator.denied(t, "$JS.API.STREAM.DELETE."+stream, func(ctx context.Context) error {
			return evaluator.js.DeleteStream(ctx, stream)
		})
	})
	t.Run("the writer may not delete the stream", func(t *testing.T) {
		writer.denied(t, "$JS.API.STREAM.DELETE."+stream, func(ctx context.Context) error {
			return writer.js.DeleteStream(ctx, stream)
		})
	})
	t.Run("nobody connects without a user", func(t *testing.T) {
		nc, err := nats.Connect(s.ClientURL())
		if err == nil {
			nc.Close()
			t.Fatal("connected without credentials")
		}
		if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(err.Error(), "Authorization Violation") {
			t.Errorf("err = %v, want an authorization violation", err)
		}
	})
}
