package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	hflag "github.com/halyard-flags/halyard/shared/flag"
)

// large is the fixture with a static cohort of n members: hex ids of 16 characters, which compress about
// to half.
func large(n int) *Snapshot {
	s := fixture()
	var members []string
	for i := range n {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		members = append(members, hex.EncodeToString(sum[:8]))
	}
	s.Cohorts = append(s.Cohorts, hflag.Cohort{ID: 6, Name: "everyone", IsStatic: true, Members: members})
	return s
}

// pack encodes and packs s into chunks of chunkBytes, failing the test on any error.
func pack(tb testing.TB, s *Snapshot, chunkBytes int) (*Manifest, [][]byte) {
	tb.Helper()
	data, err := Encode(s)
	if err != nil {
		tb.Fatal(err)
	}
	m, chunks, err := Pack(s, data, chunkBytes)
	if err != nil {
		tb.Fatal(err)
	}
	return m, chunks
}

// from fetches chunks from a slice.
func from(chunks [][]byte) func(int) ([]byte, error) {
	return func(i int) ([]byte, error) {
		if i >= len(chunks) {
			return nil, errors.New("no such chunk")
		}
		return chunks[i], nil
	}
}

func TestPackUnpack(t *testing.T) {
	tests := []struct {
		members, chunkBytes, wantChunks int
	}{
		{0, MinChunkBytes, 1},
		{200_000, MinChunkBytes, 0}, // several
		{200_000, 4 << 20, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d members in chunks of %d", tt.members, tt.chunkBytes), func(t *testing.T) {
			want := large(tt.members)
			m, chunks := pack(t, want, tt.chunkBytes)
			if tt.wantChunks > 0 && len(chunks) != tt.wantChunks || tt.wantChunks == 0 && len(chunks) < 2 {
				t.Fatalf("%d chunks, want %d (0: several)", len(chunks), tt.wantChunks)
			}
			for i, c := range chunks {
				if len(c) > tt.chunkBytes {
					t.Fatalf("chunk %d has %d bytes, over %d", i, len(c), tt.chunkBytes)
				}
			}
			b, err := EncodeManifest(m)
			if err != nil {
				t.Fatal(err)
			}
			if FormatOf(b) != FormatChunked {
				t.Fatalf("FormatOf(manifest) = %d", FormatOf(b))
			}
			m2, err := DecodeManifest(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unpack(m2, from(chunks))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnpackRefuses: chunks that are not what the manifest describes are refused as ErrIntegrity, a chunk
// that cannot be fetched as a ChunkError, and nothing is decoded from them.
func TestUnpackRefuses(t *testing.T) {
	m, chunks := pack(t, large(100_000), MinChunkBytes)
	if len(chunks) < 3 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	flipped := func(i, at int) [][]byte {
		out := append([][]byte(nil), chunks...)
		out[i] = append([]byte(nil), chunks[i]...)
		out[i][at] ^= 0x40
		return out
	}
	other := *m
	other.EnvironmentID++
	tests := []struct {
		name    string
		m       Manifest
		chunks  [][]byte
		missing bool // a ChunkError rather than ErrIntegrity
	}{
		{"a flipped byte", *m, flipped(1, 100), false},
		{"a flipped byte in the last chunk", *m, flipped(len(chunks)-1, len(chunks[len(chunks)-1])-5), false},
		{"a truncated chunk", *m, append(append([][]byte(nil), chunks[0][:100]), chunks[1:]...), false},
		{"two chunks swapped", *m, append([][]byte{chunks[1], chunks[0]}, chunks[2:]...), false},
		{"a chunk missing", *m, chunks[:len(chunks)-1], true},
		{"a longer last chunk", *m, append(append([][]byte(nil), chunks[:len(chunks)-1]...), append(append([]byte(nil), chunks[len(chunks)-1]...), 0)), false},
		{"another environment's manifest", other, chunks, false},
		{"a wrong size", withSize(*m, m.Size-1), chunks, false},
		{"a wrong digest", withDigest(*m), chunks, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := Unpack(&tt.m, from(tt.chunks))
			var ce *ChunkError
			if snap != nil || err == nil || errors.Is(err, ErrIntegrity) == tt.missing || errors.As(err, &ce) != tt.missing {
				t.Fatalf("Unpack = %v, %v; want nil and (missing %v) a ChunkError, else ErrIntegrity", snap, err, tt.missing)
			}
		})
	}
}

func withSize(m Manifest, size int64) Manifest { m.Size = size; return m }

func withDigest(m Manifest) Manifest {
	m.SHA256 = append([]byte(nil), m.SHA256...)
	m.SHA256[0] ^= 1
	return m
}

func TestDecodeManifestRefuses(t *testing.T) {
	m, _ := pack(t, fixture(), MinChunkBytes)
	tests := []struct {
		name string
		edit func(*Manifest)
	}{
		{"a snapshot's format", func(m *Manifest) { m.Format = FormatVersion }},
		{"an unknown encoding", func(m *Manifest) { m.Encoding = "gzip" }},
		{"over the maximum size", func(m *Manifest) { m.Size = MaxSnapshotBytes + 1 }},
		{"no size", func(m *Manifest) { m.Size = 0 }},
		{"a short digest", func(m *Manifest) { m.SHA256 = m.SHA256[:8] }},
		{"no chunks", func(m *Manifest) { m.Chunks = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := *m
			tt.edit(&bad)
			b, err := EncodeManifest(&bad)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := DecodeManifest(b); err == nil {
				t.Fatalf("DecodeManifest = %+v, want an error", got)
			}
		})
	}
	if _, err := DecodeManifest([]byte("garbage")); err == nil {
		t.Error("DecodeManifest(garbage) succeeded")
	}
}

// TestManifestGolden pins the manifest's encoding: evaluators of this format must keep reading it.
func TestManifestGolden(t *testing.T) {
	m, chunks := pack(t, large(1000), MinChunkBytes)
	got, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "manifest.golden.msgpack")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	old, err := DecodeManifest(want)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, old); diff != "" {
		t.Errorf("golden manifest mismatch (-now +golden):\n%s", diff)
	}
	if _, err := Unpack(old, from(chunks)); err != nil {
		t.Errorf("unpacking against the golden manifest: %v", err)
	}
	if s := ChunkSubject("halyard.snapshot", old.EnvironmentID, 3); s != "halyard.snapshot.42.chunk.3" {
		t.Errorf("ChunkSubject = %q", s)
	}
	if tag := ChunkTag(old); tag != "19-"+fmt.Sprintf("%x", old.SHA256[:8]) {
		t.Errorf("ChunkTag = %q", tag)
	}
}

func TestFormatOf(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "snapshot.golden.msgpack"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"the golden snapshot", golden, FormatVersion},
		{"garbage", []byte("not msgpack"), 0},
		{"empty", nil, 0},
		{"a truncated snapshot", golden[:3], 0},
	}
	for _, tt := range tests {
		if got := FormatOf(tt.data); got != tt.want {
			t.Errorf("FormatOf(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPackRefuses(t *testing.T) {
	s := fixture()
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Pack(s, data, MinChunkBytes-1); err == nil {
		t.Error("Pack accepted chunks under the minimum")
	}
}
