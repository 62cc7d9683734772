// Package badinput is the corpus of hostile request bodies both services' HTTP APIs are tested with:
// malformed JSON, wrong types, invalid UTF-8, NaN and Infinity, deep nesting, huge strings, many properties,
// oversized bodies, wrong content types, bad gzip and bad base64. Each service's corpus test sends every
// input to every route it serves (enumerated from its router, so a new route is covered without a change
// there) and expects a 4xx JSON error with a stable code, never a 500 or a panic, within a bounded memory.
//
// The inputs carry no credential, and every JSON object among them holds a field no resource has
// ("halyard_bad_input"), so none is a valid request anywhere.
package badinput

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"strings"
)

// Input is one hostile request.
type Input struct {
	Name            string
	Body            []byte
	ContentType     string // "" sends none
	ContentEncoding string // "" sends none
	Query           string // appended to the path, without "?"
	// UnknownLength sends the body without a Content-Length (chunked), so only reading it finds its size.
	UnknownLength bool
	// Heavy marks the inputs whose memory per request the corpus tests measure.
	Heavy bool
}

const jsonType = "application/json"

// Corpus is every input, for a server refusing bodies over limit bytes.
func Corpus(limit int) []Input {
	in := []Input{
		{Name: "malformed JSON", Body: []byte(`{"token": "x", "distinct_id": `), ContentType: jsonType},
		{Name: "trailing garbage", Body: []byte(`{"key": "a"} {"key": "b"}`), ContentType: jsonType},
		{Name: "empty body", Body: []byte{}, ContentType: jsonType},
		{Name: "JSON array", Body: []byte(`[1, 2, 3]`), ContentType: jsonType},
		{Name: "JSON string", Body: []byte(`"just a string"`), ContentType: jsonType},
		{Name: "JSON null", Body: []byte(`null`), ContentType: jsonType},
		{Name: "wrong types", Body: []byte(`{"token": 5, "api_key": [], "distinct_id": {"a": []}, "person_properties": "x",
			"groups": 7, "key": 1, "name": false, "filters": [], "context": "x", "active": "yes", "rollout_percentage": "all",
			"flags": {}, "members": 3, "scopes": "admin", "expires_at": 12}`), ContentType: jsonType},
		{Name: "invalid UTF-8", Body: []byte("{\"token\": \"\xff\xfe\", \"key\": \"\xc3\x28\", \"name\": \"\xed\xa0\x80\"}"), ContentType: jsonType},
		{Name: "NaN and Infinity", Body: []byte(`{"rollout_percentage": NaN, "value": Infinity, "other": -Infinity}`), ContentType: jsonType},
		{Name: "number overflow", Body: []byte(`{"rollout_percentage": 1e999, "id": 99999999999999999999999999, "version": -1e400}`), ContentType: jsonType},
		{Name: "deep nesting, arrays", Body: nested("[", "]", 10000), ContentType: jsonType, Heavy: true},
		{Name: "deep nesting, objects", Body: nested(`{"a":`, "}", 10000), ContentType: jsonType, Heavy: true},
		{Name: "deeper than any decoder", Body: nested("[", "]", limit/4), ContentType: jsonType, Heavy: true},
		{Name: "huge string", Body: hugeString(limit - 64), ContentType: jsonType, Heavy: true},
		{Name: "10,000 properties", Body: manyProperties(10000), ContentType: jsonType, Heavy: true},
		{Name: "10,000 person properties", Body: wrapped(`{"person_properties":`, manyProperties(10000), `}`), ContentType: jsonType, Heavy: true},
		Oversized(limit, false),
		Oversized(limit, true),
		{Name: "wrong content type, XML", Body: []byte(`<flags><token>x</token></flags>`), ContentType: "application/xml"},
		{Name: "wrong content type, multipart", Body: []byte("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n"),
			ContentType: "multipart/form-data; boundary=b"},
		{Name: "malformed content type", Body: []byte(`{"halyard_bad_input": 1}`), ContentType: "application/json; charset"},
		{Name: "JSON as a form (curl -d)", Body: []byte(`{"halyard_bad_input": "x"}`), ContentType: "application/x-www-form-urlencoded"},
		{Name: "no content type", Body: []byte(`halyard_bad_input=x&name=y`)},
		{Name: "bad gzip", Body: []byte("\x1f\x8b\x08\x00 not gzip at all"), ContentType: jsonType, ContentEncoding: "gzip"},
		{Name: "truncated gzip", Body: gzipped([]byte(`{"halyard_bad_input": "x"}`))[:12], ContentType: jsonType, ContentEncoding: "gzip"},
		{Name: "gzip query, not gzip", Body: []byte(`{"halyard_bad_input": "x"}`), ContentType: jsonType, Query: "compression=gzip"},
		{Name: "gzip bomb", Body: gzipped(bytes.Repeat([]byte(" "), 8*limit)), ContentType: jsonType, ContentEncoding: "gzip", Heavy: true},
		{Name: "unknown compression", Body: []byte(`{"halyard_bad_input": 1}`), ContentType: jsonType, Query: "compression=lz4"},
		{Name: "bad base64", Body: []byte(`!!!not*base64%%%`), ContentType: "text/plain", Query: "compression=base64"},
		{Name: "bad base64 form", Body: []byte(`data=%%%***`), ContentType: "application/x-www-form-urlencoded"},
		{Name: "base64 of garbage", Body: []byte(`data=` + "AAECAwQFBgcICQ"), ContentType: "application/x-www-form-urlencoded"},
		{Name: "bad query values", Body: []byte(`{"halyard_bad_input": 1}`), ContentType: jsonType,
			Query: "limit=NaN&cursor=!!!&since=9999-99-99T99:99:99Z&active=maybe&v=%ff&include=%00"},
	}
	return in
}

// Oversized is a JSON body one byte over limit, sent with its length or without.
func Oversized(limit int, unknownLength bool) Input {
	in := Input{Name: "oversized body", Body: hugeString(limit + 1), ContentType: jsonType, UnknownLength: unknownLength, Heavy: true}
	if unknownLength {
		in.Name += ", unknown length"
	}
	return in
}

// nested is depth opening tokens then depth closing ones.
func nested(open, close string, depth int) []byte {
	return []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth))
}

// hugeString is a JSON object holding one string, n bytes in all.
func hugeString(n int) []byte {
	const head, tail = `{"halyard_bad_input":"`, `"}`
	return []byte(head + strings.Repeat("a", max(n-len(head)-len(tail), 0)) + tail)
}

// manyProperties is an object of n numbered properties.
func manyProperties(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"p` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	b.WriteByte('}')
	return b.Bytes()
}

func wrapped(head string, body []byte, tail string) []byte {
	return append(append([]byte(head), body...), tail...)
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}
