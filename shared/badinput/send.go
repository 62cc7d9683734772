package badinput

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Answer is what a handler answered one input with.
type Answer struct {
	Status int
	Body   []byte
	Header http.Header
	// Allocated is the bytes the request allocated on the heap (the body sent excluded), and Elapsed its time.
	Allocated uint64
	Elapsed   time.Duration
}

// Send serves one input through h at method and path, with headers (name, value pairs), and measures it.
// The request's context ends after timeout, so a streaming route returns.
func Send(h http.Handler, method, path string, in Input, timeout time.Duration, headers ...string) Answer {
	if in.Query != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + in.Query
	}
	var body io.Reader = bytes.NewReader(in.Body)
	if in.UnknownLength {
		body = struct{ io.Reader }{bytes.NewReader(in.Body)} // hides the length from NewRequest
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, method, path, body)
	if in.UnknownLength {
		req.ContentLength = -1
	}
	if in.ContentType != "" {
		req.Header.Set("Content-Type", in.ContentType)
	}
	if in.ContentEncoding != "" {
		req.Header.Set("Content-Encoding", in.ContentEncoding)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	h.ServeHTTP(rec, req)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return Answer{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header(),
		Allocated: after.TotalAlloc - before.TotalAlloc, Elapsed: elapsed}
}

// stableCode is what an error code looks like: a word of lower-case letters, digits and underscores, or
// OFREP's upper-case equivalent.
var stableCode = regexp.MustCompile(`^([a-z][a-z0-9_]*|[A-Z][A-Z0-9_]*)$`)

// ErrorCode is the stable code of a JSON error answer ("code", or OFREP's "errorCode"), or "" when the body
// is not a JSON object with one.
func ErrorCode(body []byte) string {
	var e struct {
		Code      string `json:"code"`
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	code := e.Code
	if code == "" {
		code = e.ErrorCode
	}
	if !stableCode.MatchString(code) {
		return ""
	}
	return code
}

// Worst keeps, for each input, the answer that allocated the most and the route that gave it.
type Worst map[string]WorstAnswer

// WorstAnswer is one input's costliest answer.
type WorstAnswer struct {
	Answer
	Route string
}

// Note records an answer of route to in.
func (w Worst) Note(in Input, route string, a Answer) {
	if cur, ok := w[in.Name]; !ok || a.Allocated > cur.Allocated {
		w[in.Name] = WorstAnswer{a, route}
	}
}

// Log reports the heavy inputs' worst answers: the figures docs/reliability.md quotes.
func (w Worst) Log(tb testing.TB, corpus []Input) {
	tb.Helper()
	for _, in := range corpus {
		if a, ok := w[in.Name]; ok && in.Heavy {
			tb.Logf("%-31s body %8d B, worst %9d B allocated in %8v (%s)", in.Name, len(in.Body), a.Allocated,
				a.Elapsed.Round(time.Microsecond), a.Route)
		}
	}
}
