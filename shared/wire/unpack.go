package wire

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// ErrIntegrity is what Unpack returns (wrapped) when the chunks are not the snapshot the manifest describes:
// a wrong size or digest, a corrupt compressed stream, or a snapshot of another environment or version.
var ErrIntegrity = errors.New("the chunks do not match their manifest")

// ChunkError is what Unpack returns when fetch failed for a chunk (a chunk missing: a newer snapshot of the
// environment replaced it, or the stream lost it).
type ChunkError struct {
	Index int
	Err   error
}

func (e *ChunkError) Error() string { return fmt.Sprintf("chunk %d: %v", e.Index, e.Err) }
func (e *ChunkError) Unwrap() error { return e.Err }

// Unpack reassembles the snapshot m describes from its chunks, which fetch returns by index. It asks for one
// chunk at a time, and holds at most one chunk, the decoder's window and the snapshot's msgpack form (at most
// m.Size, itself at most MaxSnapshotBytes), which it checks against m's size and digest before decoding it.
func Unpack(m *Manifest, fetch func(i int) ([]byte, error)) (*Snapshot, error) {
	chunks := &chunkReader{fetch: fetch, n: m.Chunks, limit: m.Packed}
	dec, err := zstd.NewReader(chunks, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(zstdWindow), zstd.WithDecoderMaxMemory(MaxSnapshotBytes))
	if err != nil {
		return nil, fmt.Errorf("wire.Unpack: %w", err)
	}
	defer dec.Close()
	var buf bytes.Buffer
	buf.Grow(int(min(m.Size, 64<<20)))
	digest := sha256.New()
	n, err := io.Copy(io.MultiWriter(&buf, digest), io.LimitReader(dec, m.Size+1))
	if ce := (*ChunkError)(nil); errors.As(err, &ce) {
		return nil, fmt.Errorf("wire.Unpack: %w", ce)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("wire.Unpack: %w: %v", ErrIntegrity, err)
	case n != m.Size || chunks.read != m.Packed || chunks.next != m.Chunks:
		return nil, fmt.Errorf("wire.Unpack: %w: %d bytes from %d chunks (%d packed), the manifest says %d from %d (%d)",
			ErrIntegrity, n, chunks.next, chunks.read, m.Size, m.Chunks, m.Packed)
	case !bytes.Equal(digest.Sum(nil), m.SHA256):
		return nil, fmt.Errorf("wire.Unpack: %w: the SHA-256 differs", ErrIntegrity)
	}
	snap, err := Decode(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("wire.Unpack: %w: %v", ErrIntegrity, err)
	}
	if snap.EnvironmentID != m.EnvironmentID || snap.Version != m.Version {
		return nil, fmt.Errorf("wire.Unpack: %w: environment %d v%d, the manifest says %d v%d",
			ErrIntegrity, snap.EnvironmentID, snap.Version, m.EnvironmentID, m.Version)
	}
	return snap, nil
}

// chunkReader reads the chunks in order, fetching each when the previous one is consumed, and fails once
// they exceed limit bytes.
type chunkReader struct {
	fetch func(i int) ([]byte, error)
	n     int // chunks
	next  int // the next chunk to fetch
	cur   []byte
	read  int64 // bytes fetched
	limit int64
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.next == r.n {
			return 0, io.EOF
		}
		b, err := r.fetch(r.next)
		if err != nil {
			return 0, &ChunkError{Index: r.next, Err: err}
		}
		r.next++
		r.read += int64(len(b))
		if r.read > r.limit {
			return 0, fmt.Errorf("the chunks pass the manifest's %d bytes", r.limit)
		}
		r.cur = b
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}
