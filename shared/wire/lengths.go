package wire

import (
	"encoding/binary"
	"errors"
)

// errLengths is a message whose arrays, maps or strings claim more than it holds.
var errLengths = errors.New("a length is longer than the message")

// checkLengths walks a MessagePack message and refuses it unless every array, map, string, binary and
// extension it declares is really there. msgpack/v5 sizes a slice by the length a message declares before
// reading its elements (its allocation limit does not apply to slices of structs), so 21 bytes declaring
// 800 million flags asked for 32 GB. Once every length is checked, decoding allocates in proportion to the
// message.
func checkLengths(b []byte) error {
	pending := 1 // values still to read
	for i := 0; pending > 0; pending-- {
		if i >= len(b) {
			return errLengths
		}
		c := b[i]
		items, skip, width := header(c)
		if width < 0 || i+1+width > len(b) {
			return errLengths
		}
		var n int
		switch width {
		case 0:
			n = int(c & 0x0f) // a fixmap's or fixarray's count
		case 1:
			n = int(b[i+1])
		case 2:
			n = int(binary.BigEndian.Uint16(b[i+1:]))
		case 4:
			n = int(binary.BigEndian.Uint32(b[i+1:]))
		}
		i += 1 + width
		if items < 0 { // the length counts values: 1 per array element, 2 per map entry, each at least a byte
			if n *= -items; n > len(b)-i {
				return errLengths
			}
			pending += n
			continue
		}
		if skip < 0 { // the length counts bytes (extensions add their type byte)
			n += -skip - 1
		} else {
			n = skip
		}
		if n > len(b)-i {
			return errLengths
		}
		i += n
	}
	return nil
}

// header decodes a MessagePack type byte: a container's values per declared unit (-1 array, -2 map; the
// count is in the low nibble when width is 0), or the payload bytes to skip (fixed, or -(1+extra) when the
// length field counts them), and the width of its length field (-1: not a valid type).
func header(c byte) (items, skip, width int) {
	switch {
	case c <= 0x7f || c >= 0xe0: // fixints
		return 0, 0, 0
	case c <= 0x8f: // fixmap
		return -2, 0, 0
	case c <= 0x9f: // fixarray
		return -1, 0, 0
	case c <= 0xbf: // fixstr
		return 0, int(c & 0x1f), 0
	}
	switch c {
	case 0xc0, 0xc2, 0xc3: // nil, false, true
		return 0, 0, 0
	case 0xc4, 0xd9: // bin8, str8
		return 0, -1, 1
	case 0xc5, 0xda: // bin16, str16
		return 0, -1, 2
	case 0xc6, 0xdb: // bin32, str32
		return 0, -1, 4
	case 0xc7: // ext8
		return 0, -2, 1
	case 0xc8: // ext16
		return 0, -2, 2
	case 0xc9: // ext32
		return 0, -2, 4
	case 0xca: // float32
		return 0, 4, 0
	case 0xcb: // float64
		return 0, 8, 0
	case 0xcc, 0xd0:
		return 0, 1, 0
	case 0xcd, 0xd1:
		return 0, 2, 0
	case 0xce, 0xd2:
		return 0, 4, 0
	case 0xcf, 0xd3:
		return 0, 8, 0
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16, after their type byte
		return 0, 1 + 1<<(c-0xd4), 0
	case 0xdc: // array16
		return -1, 0, 2
	case 0xdd: // array32
		return -1, 0, 4
	case 0xde: // map16
		return -2, 0, 2
	case 0xdf: // map32
		return -2, 0, 4
	}
	return 0, 0, -1 // 0xc1: never used
}
