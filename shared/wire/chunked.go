package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"
)

// A snapshot too large for one NATS message travels chunked (ADR 0016): its msgpack form is compressed with
// zstd and cut into chunk messages, published first on subjects of their own, then a Manifest is published
// on the environment's subject in place of the snapshot. Snapshots that fit one message keep format 1.
const (
	// FormatChunked is the format of a Manifest. It differs from FormatVersion so that an evaluator that
	// predates chunking refuses a manifest (format_version) instead of reading it as an empty snapshot.
	FormatChunked = 2
	// EncodingZstd is the only chunk encoding: the snapshot's msgpack form as one zstd stream.
	EncodingZstd = "zstd"

	// HeaderRoom is the part of NATS's max_payload kept for a message's headers (Halyard's, JetStream's,
	// a signature): a snapshot or a chunk carries at most max_payload - HeaderRoom bytes.
	HeaderRoom = 1 << 10
	// MinChunkBytes is the smallest chunk the writer cuts: a server whose max_payload leaves less than this
	// for data cannot carry chunked snapshots, and changes that would need them are refused.
	MinChunkBytes = 16 << 10
	// MaxSnapshotBytes bounds the msgpack form of one environment's snapshot: evaluators refuse a manifest
	// declaring more (it bounds what they decompress), and the writer refuses changes that would pass it.
	MaxSnapshotBytes = 256 << 20
	// DefaultMaxPayload is NATS's default max_payload, assumed while the writer has not yet connected.
	DefaultMaxPayload = 1 << 20

	// zstdWindow is the compression window: what a decoder holds besides its output.
	zstdWindow = 8 << 20
)

// Manifest stands on an environment's subject for a chunked snapshot: what it is, where its chunks are and
// how to check them.
type Manifest struct {
	Format        int    `msgpack:"format"` // FormatChunked
	EnvironmentID int64  `msgpack:"environment_id"`
	Version       int64  `msgpack:"version"`
	Encoding      string `msgpack:"encoding"` // EncodingZstd
	Size          int64  `msgpack:"size"`     // bytes of the snapshot's msgpack form
	SHA256        []byte `msgpack:"sha256"`   // of the snapshot's msgpack form
	Chunks        int    `msgpack:"chunks"`   // chunk messages, numbered from 0
	Packed        int64  `msgpack:"packed"`   // bytes of all chunks together (the compressed form)
}

// ChunkSubject is the subject of an environment's chunk i, under prefix (the snapshot subjects' prefix):
// <prefix>.<environment>.chunk.<i>. Each chunked publish of the environment replaces its chunks in place
// (the stream keeps the last message per subject), so the stream holds at most the environment's largest
// chunk count, with no purge; a reader tells the chunks of its manifest by their HeaderChunkOf.
func ChunkSubject(prefix string, envID int64, i int) string {
	return ChunkSubjects(prefix, envID) + "." + strconv.Itoa(i)
}

// ChunkSubjects is the prefix of every chunk subject of the environment.
func ChunkSubjects(prefix string, envID int64) string {
	return prefix + "." + strconv.FormatInt(envID, 10) + ".chunk"
}

// HeaderChunkOf names, on each chunk message, the snapshot the chunk belongs to (ChunkTag): a chunk that a
// newer snapshot's replaced is told apart before anything is decompressed.
const HeaderChunkOf = "Halyard-Chunk-Of"

// ChunkTag identifies the manifest's snapshot: its version and 64 bits of its SHA-256, so that two different
// snapshots of one version (two writers racing) differ too.
func ChunkTag(m *Manifest) string {
	return strconv.FormatInt(m.Version, 10) + "-" + hex.EncodeToString(m.SHA256[:8])
}

// Pack compresses data, the msgpack form of snap, and cuts it into chunks of at most chunkBytes.
func Pack(snap *Snapshot, data []byte, chunkBytes int) (*Manifest, [][]byte, error) {
	if chunkBytes < MinChunkBytes {
		return nil, nil, fmt.Errorf("wire.Pack: chunks of %d bytes are under the minimum of %d", chunkBytes, MinChunkBytes)
	}
	if len(data) > MaxSnapshotBytes {
		return nil, nil, fmt.Errorf("wire.Pack: a snapshot of %d bytes is over the maximum of %d", len(data), MaxSnapshotBytes)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(zstdWindow))
	if err != nil {
		return nil, nil, fmt.Errorf("wire.Pack: %w", err)
	}
	packed := enc.EncodeAll(data, nil)
	sum := sha256.Sum256(data)
	m := &Manifest{Format: FormatChunked, EnvironmentID: snap.EnvironmentID, Version: snap.Version,
		Encoding: EncodingZstd, Size: int64(len(data)), SHA256: sum[:], Packed: int64(len(packed))}
	var chunks [][]byte
	for len(packed) > 0 {
		n := min(chunkBytes, len(packed))
		chunks = append(chunks, packed[:n:n])
		packed = packed[n:]
	}
	m.Chunks = len(chunks)
	return m, chunks, nil
}

// EncodeManifest returns the msgpack form of m.
func EncodeManifest(m *Manifest) ([]byte, error) {
	b, err := msgpack.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("wire.EncodeManifest: %w", err)
	}
	return b, nil
}

// DecodeManifest parses a manifest and refuses one that is not of FormatChunked or that no evaluator
// should unpack (an unknown encoding, a size over MaxSnapshotBytes, a missing digest).
func DecodeManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := msgpack.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("wire.DecodeManifest: %w", err)
	}
	switch {
	case m.Format != FormatChunked:
		return nil, fmt.Errorf("wire.DecodeManifest: format %d, not a manifest", m.Format)
	case m.Encoding != EncodingZstd:
		return nil, fmt.Errorf("wire.DecodeManifest: encoding %q, this build reads %q", m.Encoding, EncodingZstd)
	case m.Size <= 0 || m.Size > MaxSnapshotBytes:
		return nil, fmt.Errorf("wire.DecodeManifest: a snapshot of %d bytes; this build reads up to %d", m.Size, MaxSnapshotBytes)
	case len(m.SHA256) != sha256.Size:
		return nil, fmt.Errorf("wire.DecodeManifest: a digest of %d bytes", len(m.SHA256))
	case m.Chunks <= 0 || m.Packed <= 0:
		return nil, fmt.Errorf("wire.DecodeManifest: %d chunks of %d bytes", m.Chunks, m.Packed)
	}
	return &m, nil
}

// FormatOf reads the format of a snapshot or manifest from its first field, without decoding the rest (0
// when b does not start as one: both encode their format first).
func FormatOf(b []byte) int {
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	if n, err := dec.DecodeMapLen(); err != nil || n < 1 {
		return 0
	}
	if key, err := dec.DecodeString(); err != nil || key != "format" {
		return 0
	}
	f, err := dec.DecodeInt()
	if err != nil {
		return 0
	}
	return f
}
