package natssub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// createDirectStream creates the snapshot stream as the writer's publisher does, direct gets allowed.
func createDirectStream(tb testing.TB, js jetstream.JetStream) {
	tb.Helper()
	_, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: testStream,
		Subjects: []string{testPrefix + ".>"}, MaxMsgsPerSubject: 1, Storage: jetstream.FileStorage, AllowDirect: true})
	if err != nil {
		tb.Fatal(err)
	}
}

// packed is a snapshot cut into chunks as the writer cuts it for the server js is connected to.
type packed struct {
	manifest []byte
	m        *wire.Manifest
	chunks   [][]byte
}

func pack(tb testing.TB, js jetstream.JetStream, snap *wire.Snapshot) packed {
	tb.Helper()
	data, err := wire.Encode(snap)
	if err != nil {
		tb.Fatal(err)
	}
	m, chunks, err := wire.Pack(snap, data, int(js.Conn().MaxPayload())-wire.HeaderRoom)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := wire.EncodeManifest(m)
	if err != nil {
		tb.Fatal(err)
	}
	return packed{manifest: b, m: m, chunks: chunks}
}

// publishChunks publishes the chunks (the writer's first step) and returns their bytes.
func (p packed) publishChunks(tb testing.TB, js jetstream.JetStream) int {
	tb.Helper()
	n := 0
	for i, c := range p.chunks {
		msg := nats.NewMsg(wire.ChunkSubject(testPrefix, p.m.EnvironmentID, i))
		msg.Data = c
		msg.Header.Set("Halyard-Version", strconv.FormatInt(p.m.Version, 10))
		msg.Header.Set(wire.HeaderChunkOf, wire.ChunkTag(p.m))
		if _, err := js.PublishMsg(context.Background(), msg); err != nil {
			tb.Fatal(err)
		}
		n += len(c)
	}
	return n
}

// publishChunked publishes the snapshot as the writer publishes one too large for a message: its chunks,
// then its manifest on the environment's subject. It returns the bytes published.
func publishChunked(tb testing.TB, js jetstream.JetStream, snap *wire.Snapshot) int {
	tb.Helper()
	p := pack(tb, js, snap)
	n := p.publishChunks(tb, js)
	publishRaw(tb, js, snap.EnvironmentID, snap.Version, p.manifest)
	return n + len(p.manifest)
}

// manyFlags is a snapshot of n flags of about 250 bytes each.
func manyFlags(envID, version int64, n int) *wire.Snapshot {
	s := snapshot(envID, version)
	s.Flags = make([]flag.Flag, n)
	for i := range s.Flags {
		pct := float64(i % 100)
		s.Flags[i] = flag.Flag{ID: int64(i + 1), Key: fmt.Sprintf("feature-%06d", i), Name: fmt.Sprintf("Feature %d", i),
			Description: "rolled out to a share of the example.com users", Active: true, Version: 1,
			Filters: flag.Filters{Groups: []flag.Condition{{RolloutPercentage: &pct, Properties: []flag.Property{
				{Key: "email", Type: "person", Operator: "icontains", Value: "@example.com"}}}}}}
	}
	return s
}

// bigCohort is a snapshot with a static cohort of n members (ids of 32 hex characters) and a flag on it.
func bigCohort(envID, version int64, n int) *wire.Snapshot {
	s := snapshot(envID, version)
	members := make([]string, n)
	for i := range members {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		members[i] = hex.EncodeToString(sum[:16])
	}
	s.Cohorts = []flag.Cohort{{ID: 9, Name: "everyone", IsStatic: true, Members: members}}
	s.Flags = append(s.Flags, flag.Flag{ID: 2, Key: "for-everyone", Active: true, Filters: flag.Filters{Groups: []flag.Condition{{
		Properties: []flag.Property{{Key: "id", Type: "cohort", Operator: "in", Value: float64(9)}}}}}})
	return s
}

// TestLargeSnapshotsApplied: through a NATS server with the default 1 MiB max_payload, a snapshot of
// 50,000 flags and one with a static cohort of 1,000,000 members, published in chunks as the writer does,
// are applied by a running follower, and by one started afterwards (the initial catch-up).
func TestLargeSnapshotsApplied(t *testing.T) {
	srv := startNATS(t, -1)
	js := connect(t, port(srv))
	createDirectStream(t, js)
	f := follow(t, js)
	f.waitCaughtUp(t)
	tests := []struct {
		name string
		snap *wire.Snapshot
	}{
		{"50,000 flags", manyFlags(1, 1, 50_000)},
		{"a static cohort of 1,000,000 members", bigCohort(2, 1, 1_000_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			n := publishChunked(t, js, tt.snap)
			published := time.Since(start)
			f.waitVersion(t, tt.snap.EnvironmentID, tt.snap.Version)
			t.Logf("%s: %d bytes on the wire; published in %v, applied %v after the publish began",
				tt.name, n, published.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
			e, _ := f.st.ByID(tt.snap.EnvironmentID)
			if diff := cmp.Diff(tt.snap, e.Snapshot); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := f.rejections(); len(got) != 0 {
		t.Errorf("rejections %v", got)
	}
	start := time.Now()
	late := follow(t, js)
	late.waitCaughtUp(t)
	t.Logf("a follower started afterwards caught up in %v", time.Since(start).Round(time.Millisecond))
	if diff := cmp.Diff(map[int64]int64{1: 1, 2: 1}, late.versions()); diff != "" {
		t.Errorf("the late follower's versions mismatch (-want +got):\n%s", diff)
	}
}

// TestChunkedSnapshotRejected: a manifest whose chunks are damaged or missing, or that is another
// environment's or older than the state served, is rejected and counted; the previous state is kept, and the
// next good snapshot is applied.
func TestChunkedSnapshotRejected(t *testing.T) {
	srv := startNATS(t, -1)
	js := connect(t, port(srv))
	createDirectStream(t, js)
	f := follow(t, js)
	f.waitCaughtUp(t)
	const env = 7
	publishChunked(t, js, bigCohort(env, 5, 200_000))
	f.waitVersion(t, env, 5)

	tests := []struct {
		name    string
		publish func(tb testing.TB)
		reason  string
	}{
		{"a flipped byte in a chunk", func(tb testing.TB) {
			p := pack(tb, js, bigCohort(env, 6, 200_000))
			p.chunks[1] = append([]byte(nil), p.chunks[1]...)
			p.chunks[1][1000] ^= 0x10
			p.publishChunks(tb, js)
			publishRaw(tb, js, env, 6, p.manifest)
		}, RejectIntegrity},
		{"a chunk replaced by a newer snapshot's", func(tb testing.TB) {
			p := pack(tb, js, bigCohort(env, 7, 200_000))
			p.chunks = p.chunks[:len(p.chunks)-1] // the last chunk on the stream is the previous snapshot's
			p.publishChunks(tb, js)
			publishRaw(tb, js, env, 7, p.manifest)
		}, RejectIncomplete},
		{"a chunk missing", func(tb testing.TB) {
			p := pack(tb, js, bigCohort(env, 8, 200_000))
			p.m.Chunks++ // one more than was ever published
			b, err := wire.EncodeManifest(p.m)
			if err != nil {
				tb.Fatal(err)
			}
			p.publishChunks(tb, js)
			publishRaw(tb, js, env, 8, b)
		}, RejectIncomplete},
		{"another environment's manifest", func(tb testing.TB) {
			p := pack(tb, js, bigCohort(env+1, 8, 1000))
			p.publishChunks(tb, js)
			publishRaw(tb, js, env, 8, p.manifest)
		}, RejectWrongEnvironment},
		{"an older manifest", func(tb testing.TB) {
			p := pack(tb, js, bigCohort(env, 4, 1000)) // its chunks are never published: none is fetched
			publishRaw(tb, js, env, 4, p.manifest)
		}, RejectOlder},
		{"a damaged manifest", func(tb testing.TB) {
			p := pack(tb, js, bigCohort(env, 9, 1000))
			p.publishChunks(tb, js)
			publishRaw(tb, js, env, 9, p.manifest[:len(p.manifest)-3])
		}, RejectDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.rejections())
			tt.publish(t)
			waitFor(t, "the rejection", func() error {
				if got := f.rejections(); len(got) == before {
					return fmt.Errorf("none yet")
				}
				return nil
			})
			if got := f.rejections()[before:]; !cmp.Equal(got, []string{tt.reason}) {
				t.Errorf("rejections %v, want %s", got, tt.reason)
			}
			if got := f.versions()[env]; got != 5 {
				t.Errorf("the store holds v%d, want v5 kept", got)
			}
		})
	}
	publishChunked(t, js, bigCohort(env, 10, 200_000))
	f.waitVersion(t, env, 10)
}
