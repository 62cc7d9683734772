package publisher

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// TestLargeSnapshotsReplicate: through a NATS server with the default 1 MiB max_payload, an environment of
// 50,000 flags and one with a static cohort of 1,000,000 members are published in chunks that each fit a
// message, and what is on the stream reassembles into the environment. A later change replaces the chunks
// in place.
func TestLargeSnapshotsReplicate(t *testing.T) {
	ns := startNATS(t)
	js := ns.connect(t)
	url := newDatabase(t)
	w := newWriter(t, url, js, nil)
	w.db.MaxPayload = js.Conn().MaxPayload
	if got := js.Conn().MaxPayload(); got != 1<<20 {
		t.Fatalf("the server's max_payload is %d, want NATS's default 1 MiB", got)
	}
	sizes := map[int64]int{} // under w.mu
	w.pub.published = func(envID, version int64, bytes int) {
		w.onPublished(envID, version, bytes)
		w.mu.Lock()
		sizes[envID] = bytes
		w.mu.Unlock()
	}
	w.run(t)

	tests := []struct {
		name   string
		setup  func(tb testing.TB, db *postgres.DB, envID int64) // not timed
		change func(tb testing.TB, db *postgres.DB, envID int64) int64
		check  func(tb testing.TB, s *wire.Snapshot)
	}{
		// 50,000 flags are stored directly (the import path takes half a minute here); the change timed is
		// the next flag created, which publishes all of them.
		{"50,000 flags", storeFlags(50_000), addFlag, func(tb testing.TB, s *wire.Snapshot) {
			if len(s.Flags) != 50_001 {
				tb.Fatalf("%d flags", len(s.Flags))
			}
		}},
		{"a static cohort of 1,000,000 members", nil, staticCohort(1_000_000), func(tb testing.TB, s *wire.Snapshot) {
			if len(s.Cohorts) != 1 || len(s.Cohorts[0].Members) != 1_000_000 {
				tb.Fatalf("cohorts %d, members %d", len(s.Cohorts), len(s.Cohorts[0].Members))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envID := newEnvironment(t, w.db)
			if tt.setup != nil {
				tt.setup(t, w.db, envID)
			}
			committed := time.Now()
			version := tt.change(t, w.db, envID)
			t.Logf("committed in %v", time.Since(committed).Round(time.Millisecond))
			committed = time.Now()
			var m *wire.Manifest
			waitFor(t, "the chunked snapshot on the stream", func() error {
				var err error
				m, err = lastManifest(t, js, envID, version)
				return err
			})
			onStream := time.Since(committed)
			snap, chunks := readChunked(t, js, m)
			w.mu.Lock()
			wireBytes := sizes[envID]
			w.mu.Unlock()
			t.Logf("%s: %d bytes of msgpack, %d bytes on the wire (%d chunks and a manifest); commit to acknowledged %v, to reassembled %v",
				tt.name, m.Size, wireBytes, m.Chunks, onStream.Round(time.Millisecond), time.Since(committed).Round(time.Millisecond))
			if m.Chunks != len(chunks) {
				t.Fatalf("%d chunks on the stream, the manifest says %d", len(chunks), m.Chunks)
			}
			tt.check(t, snap)

			// The next change replaces every chunk in place.
			next := addFlag(t, w.db, envID)
			waitFor(t, "the next version's chunks", func() error {
				var err error
				m, err = lastManifest(t, js, envID, next)
				return err
			})
			if snap, _ := readChunked(t, js, m); snap.Version != next {
				t.Errorf("reassembled v%d, want v%d", snap.Version, next)
			}
			if n := chunkMessages(t, js, envID); n > m.Chunks+1 {
				t.Errorf("%d chunk messages of the environment on the stream, for %d chunks", n, m.Chunks)
			}
		})
	}
}

// lastManifest returns the manifest on the environment's subject, or why it is not there at version.
func lastManifest(tb testing.TB, js jetstream.JetStream, envID, version int64) (*wire.Manifest, error) {
	tb.Helper()
	msg, err := lastMsg(js, testStream.Subject(envID))
	if err != nil {
		return nil, err
	}
	m, err := wire.DecodeManifest(msg.Data)
	if err != nil {
		return nil, err
	}
	if m.Version != version || msg.Header.Get(HeaderVersion) != fmt.Sprint(version) {
		return nil, fmt.Errorf("the stream holds v%d (header %s)", m.Version, msg.Header.Get(HeaderVersion))
	}
	return m, nil
}

// readChunked reassembles the manifest's snapshot from the stream, as an evaluator does, and returns it with
// the sizes of its chunk messages (each checked to fit the server's max_payload).
func readChunked(tb testing.TB, js jetstream.JetStream, m *wire.Manifest) (*wire.Snapshot, []int) {
	tb.Helper()
	var sizes []int
	snap, err := wire.Unpack(m, func(i int) ([]byte, error) {
		msg, err := lastMsg(js, wire.ChunkSubject(testStream.SubjectPrefix, m.EnvironmentID, i))
		if err != nil {
			return nil, err
		}
		if tag := msg.Header.Get(wire.HeaderChunkOf); tag != wire.ChunkTag(m) {
			return nil, fmt.Errorf("chunk %d is %s's", i, tag)
		}
		if n := len(msg.Data) + wire.HeaderRoom; int64(n) > js.Conn().MaxPayload() {
			tb.Errorf("chunk %d: %d bytes", i, len(msg.Data))
		}
		sizes = append(sizes, len(msg.Data))
		return msg.Data, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return snap, sizes
}

// chunkMessages counts the environment's chunk messages on the stream.
func chunkMessages(tb testing.TB, js jetstream.JetStream, envID int64) int {
	tb.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, testStream.Name)
	if err != nil {
		tb.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(wire.ChunkSubjects(testStream.SubjectPrefix, envID)+".>"))
	if err != nil {
		tb.Fatal(err)
	}
	return len(info.State.Subjects)
}

// storeFlags returns a fixture storing n flags of about 250 bytes each (a property condition, a rollout, a
// name and a description) in the environment, with no change recorded: the next change publishes them.
func storeFlags(n int) func(tb testing.TB, db *postgres.DB, envID int64) {
	return func(tb testing.TB, db *postgres.DB, envID int64) {
		tb.Helper()
		execSQL(tb, db, `INSERT INTO flags (environment_id, key, name, description, filters)
			SELECT $1, 'feature-' || lpad(i::text, 6, '0'), 'Feature ' || i, 'rolled out to a share of the example.com users',
				jsonb_build_object('groups', jsonb_build_array(jsonb_build_object('rollout_percentage', i % 100,
					'properties', jsonb_build_array(jsonb_build_object('key', 'email', 'type', 'person',
						'operator', 'icontains', 'value', '@example.com')))))
			FROM generate_series(0, $2 - 1) AS i`, envID, n)
	}
}

// staticCohort returns a change creating a static cohort of n members: ids of 32 hex characters, which
// compress to about half.
func staticCohort(n int) func(tb testing.TB, db *postgres.DB, envID int64) int64 {
	return func(tb testing.TB, db *postgres.DB, envID int64) int64 {
		tb.Helper()
		members := make([]string, n)
		for i := range members {
			sum := sha256.Sum256([]byte(fmt.Sprint(i)))
			members[i] = hex.EncodeToString(sum[:16])
		}
		_, version, err := db.CreateCohort(context.Background(), envID, actor,
			admin.CohortSpec{Name: "everyone", IsStatic: true}, members)
		if err != nil {
			tb.Fatal(err)
		}
		return version
	}
}

// TestMaxPayloadTooSmallForChunks: against a server whose max_payload cannot carry even one chunk, a change
// that makes the snapshot larger than one message is refused at commit (422 snapshot_too_large naming
// max_payload) and changes nothing; the environment's smaller snapshots still replicate.
func TestMaxPayloadTooSmallForChunks(t *testing.T) {
	ns := startNATSWith(t, 8<<10)
	js := ns.connect(t)
	w := newWriter(t, newDatabase(t), js, nil)
	w.db.MaxPayload = js.Conn().MaxPayload
	w.run(t)
	envID := newEnvironment(t, w.db)
	small := addFlag(t, w.db, envID)
	waitPublished(t, js, w.db, envID, small)

	_, err := w.db.Import(context.Background(), envID, actor, &admin.Export{Format: "halyard-export/v1",
		Flags: []admin.ExportFlag{{ID: 1, Key: "fat", Description: strings.Repeat("d", 9000), Active: true}}})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "snapshot_too_large" || !containsAll(ae.Message, "max_payload (8192 bytes)", "raise max_payload") {
		t.Fatalf("importing a 9 KB flag against an 8 KiB max_payload: %v, want 422 snapshot_too_large naming max_payload", err)
	}
	if v, err := w.db.EnvironmentVersion(context.Background(), envID); err != nil || v != small {
		t.Fatalf("the environment is at v%d (%v) after the refused import, want v%d", v, err, small)
	}
	next := addFlag(t, w.db, envID)
	waitPublished(t, js, w.db, envID, next)
}

// startNATSWith starts a server like startNATS's whose max_payload is maxPayload.
func startNATSWith(tb testing.TB, maxPayload int32) *natsServer {
	tb.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: tb.TempDir(),
		MaxPayload: maxPayload, NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		tb.Fatal("NATS is not ready after 10s")
	}
	n := &natsServer{tb: tb, srv: srv, port: srv.Addr().(*net.TCPAddr).Port}
	tb.Cleanup(n.stop)
	return n
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestSnapshotFitsOneMessageAgain: an environment that grows past one message is published in chunks; once
// it shrinks back under one message it is published as one snapshot again, which evaluators read as before.
func TestSnapshotFitsOneMessageAgain(t *testing.T) {
	ns := startNATSWith(t, 32<<10)
	js := ns.connect(t)
	w := newWriter(t, newDatabase(t), js, nil)
	w.db.MaxPayload = js.Conn().MaxPayload
	w.run(t)
	envID := newEnvironment(t, w.db)
	var version int64
	for i := range 12 { // 12 descriptions of 9,000 hex characters: about 50 KB compressed
		random := make([]byte, 4500)
		_, _ = rand.Read(random)
		_, v, err := w.db.CreateFlag(context.Background(), envID, actor, admin.FlagSpec{Flag: flag.Flag{
			Key: fmt.Sprintf("fat-%d", i), Description: hex.EncodeToString(random), Active: true}})
		if err != nil {
			t.Fatal(err)
		}
		version = v
	}
	var m *wire.Manifest
	waitFor(t, "the chunked snapshot", func() error {
		var err error
		m, err = lastManifest(t, js, envID, version)
		return err
	})
	if m.Chunks < 2 {
		t.Fatalf("the manifest has %d chunks, want at least 2", m.Chunks)
	}
	for i := range 11 {
		version = deleteFlag(t, w.db, envID, fmt.Sprintf("fat-%d", i))
	}
	if got := waitPublished(t, js, w.db, envID, version); got.Flags != 1 {
		t.Fatalf("the snapshot after the deletes has %d flags, want 1", got.Flags)
	}
}

// deleteFlag deletes the flag and returns the environment's version.
func deleteFlag(tb testing.TB, db *postgres.DB, envID int64, key string) int64 {
	tb.Helper()
	v, err := db.DeleteFlag(context.Background(), envID, actor, key, func(admin.FlagRecord) error { return nil })
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
