package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"testing/iotest"
)

// TestReadBody: the pooled reader takes every body up to MaxBodyBytes whatever Content-Length claims, and
// refuses one byte more.
func TestReadBody(t *testing.T) {
	exact := bytes.Repeat([]byte("x"), MaxBodyBytes)
	cases := []struct {
		name    string
		body    []byte
		length  int64
		tooBig  bool
		reader  func(io.Reader) io.Reader
		readErr bool
	}{
		{name: "empty", body: nil, length: 0},
		{name: "small, exact length", body: []byte(`{"a":1}`), length: 7},
		{name: "unknown length", body: []byte(`{"a":1}`), length: -1},
		{name: "length understated", body: bytes.Repeat([]byte("y"), 10000), length: 10},
		{name: "length overstated", body: []byte("short"), length: 5000},
		{name: "one byte at a time", body: bytes.Repeat([]byte("z"), 9000), length: -1, reader: iotest.OneByteReader},
		{name: "exactly the limit", body: exact, length: MaxBodyBytes},
		{name: "one byte over", body: append(exact, 'x'), length: -1, tooBig: true},
		{name: "over, length says under", body: append(exact, 'x'), length: 100, tooBig: true},
		{name: "read error", body: []byte("abc"), length: -1, readErr: true,
			reader: func(r io.Reader) io.Reader { return iotest.TimeoutReader(iotest.OneByteReader(r)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(tc.body)
			if tc.reader != nil {
				r = tc.reader(r)
			}
			req, _ := http.NewRequest(http.MethodPost, "/", r)
			req.ContentLength = tc.length
			buf, err := readBody(req)
			switch {
			case tc.tooBig:
				if !errors.Is(err, errTooLarge) {
					t.Fatalf("err = %v, want errTooLarge", err)
				}
			case tc.readErr:
				if err == nil || errors.Is(err, errTooLarge) {
					t.Fatalf("err = %v, want invalid_body", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(*buf, tc.body) {
					t.Fatalf("read %d bytes, want %d", len(*buf), len(tc.body))
				}
				putBody(buf)
			}
		})
	}
}
