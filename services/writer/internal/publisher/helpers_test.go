package publisher

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
)

// testStream is where the tests' publishers publish.
var testStream = Stream{Name: "HALYARD_TEST", SubjectPrefix: "halyard.test", Replicas: 1}

// natsServer is an in-process JetStream server that a test can stop and start again on the same port and
// store directory, as after a crash or maintenance.
type natsServer struct {
	tb   testing.TB
	srv  *server.Server
	port int
	dir  string
}

// startNATS starts a server on a random port with its store in a temporary directory.
func startNATS(tb testing.TB) *natsServer {
	tb.Helper()
	n := &natsServer{tb: tb, port: -1, dir: tb.TempDir()}
	n.start()
	tb.Cleanup(n.stop)
	return n
}

func (n *natsServer) start() {
	n.tb.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: n.port, JetStream: true,
		StoreDir: n.dir, NoLog: true, NoSigs: true})
	if err != nil {
		n.tb.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		n.tb.Fatal("NATS is not ready after 10s")
	}
	n.srv, n.port = srv, srv.Addr().(*net.TCPAddr).Port
}

// stop shuts the server down and waits for it; stopping a stopped server does nothing.
func (n *natsServer) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

func (n *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

// connect opens a JetStream client to the server that reconnects quickly after it comes back, and gives up
// on a request after a second (not five) while the server is down.
func (n *natsServer) connect(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(n.url(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

// newDatabase creates a migrated database for the test and returns its URL.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	url := pgtest.FreshDatabase(tb)
	db := openDB(tb, url)
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return url
}

func openDB(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db
}

// writer is one writer process: its own database pool, outbox and publisher.
type writer struct {
	db        *postgres.DB
	pub       *Publisher
	mu        sync.Mutex
	published map[int64][]int64 // the versions of each environment OnPublished reported

	cancel context.CancelFunc // stops Run (set by run); done is closed when it returned
	done   chan struct{}
}

// newWriter opens a writer on the database at url publishing through js, with its stream set up. spy,
// when set, stands between the publisher and the real outbox.
func newWriter(tb testing.TB, url string, js jetstream.JetStream, spy *spyOutbox, opts ...Option) *writer {
	tb.Helper()
	w := &writer{db: openDB(tb, url), published: map[int64][]int64{}}
	var outbox Outbox = postgres.NewOutbox(w.db)
	if spy != nil {
		spy.Outbox, outbox = outbox, spy
	}
	opts = append([]Option{PollInterval(20 * time.Millisecond),
		OnPublished(w.onPublished), withoutCatalog()}, opts...)
	w.pub = New(outbox, js, testStream, zaptest.NewLogger(tb, zaptest.Level(zapcore.InfoLevel)), opts...)
	if err := w.pub.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return w
}

func (w *writer) onPublished(envID, version int64, bytes int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.published[envID] = append(w.published[envID], version)
}

// publishedVersions lists the versions of the environment OnPublished reported, in order.
func (w *writer) publishedVersions(envID int64) []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int64(nil), w.published[envID]...)
}

// run runs the publisher until the test ends or w.cancel is called.
func (w *writer) run(tb testing.TB) *writer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		if err := w.pub.Run(ctx); err != nil {
			tb.Errorf("Run: %v", err)
		}
	}()
	tb.Cleanup(func() { cancel(); <-w.done })
	return w
}

// notify runs the publisher's Notify until the test ends.
func (w *writer) notify(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.pub.Notify(ctx); err != nil {
			tb.Errorf("Notify: %v", err)
		}
	}()
	tb.Cleanup(func() { cancel(); <-done })
}

// actor makes the tests' changes.
var actor = admin.Actor{Name: "publisher-test"}

// newEnvironment creates a project and an environment and returns the environment's id.
func newEnvironment(tb testing.TB, db *postgres.DB) int64 {
	tb.Helper()
	ctx := context.Background()
	p, err := db.CreateProject(ctx, actor, "publisher")
	if err != nil {
		tb.Fatal(err)
	}
	env, err := db.CreateEnvironment(ctx, p.ID, "test", actor)
	if err != nil {
		tb.Fatal(err)
	}
	return env.ID
}

var flagCount atomic.Int64

// addFlag commits one change of the environment, a new flag, and returns the environment's version.
func addFlag(tb testing.TB, db *postgres.DB, envID int64) int64 {
	tb.Helper()
	key := "flag-" + strconv.FormatInt(flagCount.Add(1), 10)
	_, version, err := db.CreateFlag(context.Background(), envID, actor, admin.FlagSpec{Flag: flag.Flag{Key: key, Active: true}})
	if err != nil {
		tb.Fatal(err)
	}
	return version
}

// stored is what the stream holds for an environment.
type stored struct {
	Seq         uint64
	Version     int64 // the Halyard-Version header
	Environment string
	MsgID       string
	Snapshot    int64 // the version in the decoded snapshot
	Flags       int
}

// lastStored returns the subject's last message on the stream (zero when none).
func lastStored(tb testing.TB, js jetstream.JetStream, envID int64) stored {
	tb.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, testStream.Name)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, testStream.Subject(envID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return stored{}
	}
	if err != nil {
		tb.Fatal(err)
	}
	v, _ := strconv.ParseInt(m.Header.Get(HeaderVersion), 10, 64)
	s := stored{Seq: m.Sequence, Version: v, Environment: m.Header.Get(HeaderEnvironment), MsgID: m.Header.Get(jetstream.MsgIDHeader)}
	if snap, err := wire.Decode(m.Data); err == nil { // else Snapshot stays 0: not a snapshot
		s.Snapshot, s.Flags = snap.Version, len(snap.Flags)
	}
	return s
}

// streamState is the stream's message count and last sequence.
func streamState(tb testing.TB, js jetstream.JetStream) (msgs, lastSeq uint64) {
	tb.Helper()
	st, err := js.Stream(context.Background(), testStream.Name)
	if err != nil {
		tb.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return info.State.Msgs, info.State.LastSeq
}

// outboxState is what PostgreSQL holds about an environment's publication: its pending outbox rows and the
// last publication recorded in published_snapshots.
type outboxState struct {
	Pending         int64
	RecordedSeq     uint64
	RecordedVersion int64
}

func readOutbox(tb testing.TB, db *postgres.DB, envID int64) outboxState {
	tb.Helper()
	var s outboxState
	err := db.Pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM outbox WHERE environment_id = $1 AND published_at IS NULL),
		coalesce((SELECT stream_sequence FROM published_snapshots WHERE stream = $2 AND environment_id = $1), 0),
		coalesce((SELECT version FROM published_snapshots WHERE stream = $2 AND environment_id = $1), 0)`,
		envID, testStream.Name).Scan(&s.Pending, &s.RecordedSeq, &s.RecordedVersion)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// waitFor polls cond until it returns nil, failing the test with its last error after 15 seconds.
func waitFor(tb testing.TB, what string, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitPublished waits until the environment's version is on the stream and every outbox row is marked.
func waitPublished(tb testing.TB, js jetstream.JetStream, db *postgres.DB, envID, version int64) stored {
	tb.Helper()
	var got stored
	waitFor(tb, fmt.Sprintf("environment %d v%d published and marked", envID, version), func() error {
		got = lastStored(tb, js, envID)
		if got.Version != version || got.Snapshot != version {
			return fmt.Errorf("stream holds v%d (snapshot v%d)", got.Version, got.Snapshot)
		}
		if o := readOutbox(tb, db, envID); o.Pending != 0 {
			return fmt.Errorf("%d outbox rows pending", o.Pending)
		}
		return nil
	})
	return got
}

// execSQL runs one statement on the test database, which must change at least one row.
func execSQL(tb testing.TB, db *postgres.DB, sql string, args ...any) {
	tb.Helper()
	tag, err := db.Pool.Exec(context.Background(), sql, args...)
	if err != nil {
		tb.Fatal(err)
	}
	if tag.RowsAffected() == 0 {
		tb.Fatalf("%s changed nothing", sql)
	}
}

// watchVersions follows the environment's subject on the stream from its start and returns a function
// listing the Halyard-Version of every message it delivered, in stream order.
func watchVersions(tb testing.TB, js jetstream.JetStream, envID int64) func() []int64 {
	tb.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, testStream.Name)
	if err != nil {
		tb.Fatal(err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{testStream.Subject(envID)}})
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var versions []int64
	cc, err := cons.Consume(func(m jetstream.Msg) {
		v, _ := strconv.ParseInt(m.Headers().Get(HeaderVersion), 10, 64)
		mu.Lock()
		versions = append(versions, v)
		mu.Unlock()
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cc.Stop)
	return func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return append([]int64(nil), versions...)
	}
}

// crashedAt waits for the spy's crash and returns the sequence the crashed publish was acknowledged with.
func crashedAt(tb testing.TB, spy *spyOutbox) uint64 {
	tb.Helper()
	select {
	case seq := <-spy.crashed:
		return seq
	case <-time.After(15 * time.Second):
		tb.Fatal("the armed publish never happened")
		return 0
	}
}
