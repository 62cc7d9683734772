package snapdir

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// A file is a fixed header followed by the payload (a wire-encoded snapshot or catalog):
//
//	magic "HLYSNAP\n" | file format (uint32) | version (int64) | payload length (uint64) | SHA-256 | payload
//
// The checksum covers the header fields before it and the payload, so a torn or bit-flipped file is
// refused. version is the snapshot's (0 for the catalog): it lets Open learn what the directory holds
// without decoding anything.
const (
	magic      = "HLYSNAP\n"
	fileFormat = 1
	fieldsLen  = len(magic) + 4 + 8 + 8
	headerLen  = fieldsLen + sha256.Size
)

// frame returns payload in a file of this format.
func frame(version int64, payload []byte) []byte {
	b := make([]byte, headerLen, headerLen+len(payload))
	copy(b, magic)
	binary.BigEndian.PutUint32(b[len(magic):], fileFormat)
	binary.BigEndian.PutUint64(b[len(magic)+4:], uint64(version)) // #nosec G115 -- read back as int64 by unframe
	binary.BigEndian.PutUint64(b[len(magic)+12:], uint64(len(payload)))
	sum := checksum(b[:fieldsLen], payload)
	copy(b[fieldsLen:], sum[:])
	return append(b, payload...)
}

// unframe checks a file and returns the version and payload it holds.
func unframe(b []byte) (int64, []byte, error) {
	if len(b) < headerLen || !bytes.Equal(b[:len(magic)], []byte(magic)) {
		return 0, nil, refuse(ReasonCorrupt, "not a snapshot file (%d bytes, no header)", len(b))
	}
	if f := binary.BigEndian.Uint32(b[len(magic):]); f != fileFormat {
		return 0, nil, refuse(ReasonFormat, "file format %d, this build reads %d", f, fileFormat)
	}
	version := int64(binary.BigEndian.Uint64(b[len(magic)+4:])) // #nosec G115 -- written from an int64 by frame; checked by the checksum
	size := binary.BigEndian.Uint64(b[len(magic)+12:])
	payload := b[headerLen:]
	if uint64(len(payload)) != size {
		return 0, nil, refuse(ReasonCorrupt, "truncated: %d payload bytes, the header says %d", len(payload), size)
	}
	if sum := checksum(b[:fieldsLen], payload); !bytes.Equal(sum[:], b[fieldsLen:headerLen]) {
		return 0, nil, refuse(ReasonCorrupt, "checksum mismatch")
	}
	return version, payload, nil
}

func checksum(fields, payload []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(fields)
	h.Write(payload)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// refusal is why a file was not used: one of Reasons, and the detail for the log.
type refusal struct {
	reason string
	err    error
}

func (r *refusal) Error() string { return r.reason + ": " + r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func refuse(reason, format string, args ...any) error {
	return &refusal{reason: reason, err: fmt.Errorf(format, args...)}
}
