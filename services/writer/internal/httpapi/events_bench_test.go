package httpapi

import (
	"bytes"
	"fmt"
	"net"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// BenchmarkIdleEventStreams measures what an idle events stream costs the writer: it opens 100 streams on
// one environment over plain TCP connections (a few hundred bytes each on the client side, in this process
// too) and reports the heap and stack they added, per stream, once the first event of each was read.
//
//	go test -run '^$' -bench IdleEventStreams -benchtime 3x ./internal/httpapi/
func BenchmarkIdleEventStreams(b *testing.B) {
	const streams = 100
	a := newAPI(b)
	srv := httptest.NewServer(a.h)
	defer srv.Close()
	env := a.environment("idle")
	request := fmt.Sprintf("GET /api/v1%s HTTP/1.1\r\nHost: writer\r\nAuthorization: Bearer %s\r\n\r\n", env.path("/events"), a.token)
	for b.Loop() {
		before, goroutines := memInUse(), runtime.NumGoroutine()
		conns := make([]net.Conn, streams)
		for i := range conns {
			conns[i] = openRawStream(b, srv.Listener.Addr().String(), request)
		}
		waitFor(b, 5*time.Second, "every stream followed", func() bool { return a.events.streams(env.ID) == streams })
		after := memInUse()
		b.ReportMetric(float64(after-before)/streams, "bytes/stream")
		b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/streams, "goroutines/stream")
		for _, c := range conns {
			c.Close()
		}
		waitFor(b, 5*time.Second, "every stream forgotten", func() bool { return a.events.streams(env.ID) == 0 })
	}
}

// openRawStream sends request on a new connection and reads until the first version event.
func openRawStream(tb testing.TB, addr, request string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.Write([]byte(request)); err != nil {
		tb.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 512)
	for !bytes.Contains(got, []byte("event: version")) {
		n, err := c.Read(buf)
		if err != nil {
			tb.Fatalf("reading the stream: %v (read %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	return c
}

// memInUse is the heap in use and the goroutine stacks, after a collection.
func memInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}
