package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/streams"
)

// TestIdleStreamMemory opens 10,000 idle OFREP streams (1,000 with -short; HALYARD_MEMTEST_STREAMS sets
// another number) against the handler over loopback and reports what each costs the server: Go heap and
// goroutine stacks, and the process's resident set. The clients run in a child process (this test binary
// again), so their memory is not counted and each process stays under the file descriptor limit.
//
//	go test -run TestIdleStreamMemory -v ./internal/httpapi/
func TestIdleStreamMemory(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	if v, err := strconv.Atoi(os.Getenv("HALYARD_MEMTEST_STREAMS")); err == nil {
		n = v
	}
	s, srv := streamServer(t, streams.Config{})
	target := bulk(t, srv, "", nil).body.EventStreams[0].Endpoint.RequestURI
	before := memory()

	child := exec.Command(os.Args[0], "-test.run=^TestHelperStreamClients$")
	child.Env = append(os.Environ(), "HALYARD_STREAM_CLIENTS="+strconv.Itoa(n),
		"HALYARD_STREAM_ADDR="+strings.TrimPrefix(srv.URL, "http://"), "HALYARD_STREAM_TARGET="+target)
	child.Stderr = os.Stderr
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Wait() //nolint:errcheck
	defer stdin.Close()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.HasPrefix(line, "ready") {
		t.Fatalf("the clients did not get ready: %q %v", line, err)
	}
	if got := s.Streams.Hub.Open(); got != n {
		t.Fatalf("%d streams open, want %d", got, n)
	}
	after := memory()
	per := func(a, b uint64) float64 { return float64(int64(b)-int64(a)) / float64(n) / 1024 }
	t.Logf("%d idle streams: %.1f KiB each of Go heap, %.1f KiB of goroutine stacks, %.1f KiB together; %.1f KiB of RSS",
		n, per(before.heap, after.heap), per(before.stack, after.stack),
		per(before.heap+before.stack, after.heap+after.stack), per(before.rss, after.rss))
	if kib := per(before.heap+before.stack, after.heap+after.stack); kib > 64 {
		t.Errorf("%.1f KiB of heap and stack per idle stream; expected well under 64", kib)
	}

	stdin.Close() // the clients go: every stream must end
	deadline := time.Now().Add(30 * time.Second)
	for s.Streams.Hub.Open() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams still open 30 s after their clients left", s.Streams.Hub.Open())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type memSample struct{ heap, stack, rss uint64 }

func memory() memSample {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memSample{heap: m.HeapInuse, stack: m.StackInuse, rss: rss()}
}

// rss is the process's resident set (VmRSS), in bytes.
func rss() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// TestHelperStreamClients is TestIdleStreamMemory's child: it opens HALYARD_STREAM_CLIENTS streams to
// HALYARD_STREAM_TARGET on HALYARD_STREAM_ADDR, each read up to its first frame, prints "ready", and holds
// them idle until its stdin closes. It does nothing in a normal test run.
func TestHelperStreamClients(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HALYARD_STREAM_CLIENTS"))
	if n == 0 {
		t.Skip("run by TestIdleStreamMemory")
	}
	addr, target := os.Getenv("HALYARD_STREAM_ADDR"), os.Getenv("HALYARD_STREAM_TARGET")
	conns := make([]net.Conn, n)
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c, err := openRaw(addr, target)
				conns[i] = c
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

// openRaw opens one stream on a bare connection and reads its response up to the first frame (the retry
// hint): no goroutine and no buffer stays behind on the client side.
func openRaw(addr, target string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: evaluator\r\n\r\n", target); err != nil {
		return c, err
	}
	var got []byte
	buf := make([]byte, 512)
	for !bytes.Contains(got, []byte("retry: ")) || !bytes.HasSuffix(got, []byte("\n\n")) && !bytes.HasSuffix(got, []byte("\r\n")) {
		k, err := c.Read(buf)
		if err != nil {
			return c, fmt.Errorf("read the stream's start: %w (got %q)", err, got)
		}
		got = append(got, buf[:k]...)
	}
	if !bytes.HasPrefix(got, []byte("HTTP/1.1 200")) {
		return c, fmt.Errorf("answer %q", got)
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}
