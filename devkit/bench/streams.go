package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/loadgen"
)

// openStreams holds n idle OFREP event streams open on evaluator 1 for environment env: bare connections,
// each read by one goroutine that records when it saw each event id.
type openStreams struct {
	conns []net.Conn
	mu    sync.Mutex
	seen  []map[int64]time.Time // per stream: version → when its event arrived
	wg    sync.WaitGroup
}

// streamURL asks evaluator 1 for env's bulk evaluation and returns the event stream it advertises.
func (r *Runner) streamURL(ctx context.Context, env admin.Environment) (*url.URL, error) {
	req := r.evaluatorRequest("/ofrep/v1/evaluate/flags", env.SDKKey, OFREPBulkBodies()[:1], true)
	hreq, _ := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(req.Bodies[0]))
	for k, v := range req.Header {
		hreq.Header.Set(k, v)
	}
	resp, err := r.HTTP.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var a struct {
		EventStreams []struct {
			Endpoint struct{ RequestURI string } `json:"endpoint"`
		} `json:"eventStreams"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || len(a.EventStreams) == 0 {
		return nil, fmt.Errorf("the evaluator at this commit advertises no OFREP event stream (HTTP %d, %v)", resp.StatusCode, err)
	}
	return url.Parse(r.Cluster.Evaluators[0].URL() + a.EventStreams[0].Endpoint.RequestURI)
}

// openIdleStreams opens n streams to u with 32 dialers.
func openIdleStreams(ctx context.Context, u *url.URL, n int) (*openStreams, error) {
	s := &openStreams{conns: make([]net.Conn, n), seen: make([]map[int64]time.Time, n)}
	work := make(chan int)
	errs := make(chan error, n)
	var dial sync.WaitGroup
	for range 32 {
		dial.Add(1)
		go func() {
			defer dial.Done()
			for i := range work {
				if err := s.open(u, i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		work <- i
	}
	close(work)
	dial.Wait()
	close(errs)
	if err := <-errs; err != nil {
		s.close()
		return nil, err
	}
	return s, ctx.Err()
}

func (s *openStreams) open(u *url.URL, i int) error {
	c, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.conns[i], s.seen[i] = c, map[int64]time.Time{}
	s.mu.Unlock()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		return err
	}
	br := bufio.NewReaderSize(c, 512)
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		return fmt.Errorf("stream %d: %q %v", i, status, err)
	}
	s.wg.Add(1)
	go s.read(i, br)
	return nil
}

// read records the arrival of every "id: N" line (a chunked body: chunk sizes are lines of their own).
func (s *openStreams) read(i int, br *bufio.Reader) {
	defer s.wg.Done()
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "id: "); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				now := time.Now()
				s.mu.Lock()
				s.seen[i][n] = now
				s.mu.Unlock()
			}
		}
	}
}

// arrived reports how many streams have seen version v, and their latencies from t0.
func (s *openStreams) arrived(v int64, t0 time.Time, h *loadgen.Histogram) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.seen {
		if t, ok := m[v]; ok {
			n++
			if h != nil {
				h.Record(t.Sub(t0))
			}
		}
	}
	return n
}

func (s *openStreams) close() {
	for _, c := range s.conns {
		if c != nil {
			c.Close()
		}
	}
	s.wg.Wait()
}

// procStats reads a process's resident set (bytes) and CPU time (user + system).
func procStats(pid int) (rss uint64, cpu time.Duration) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				rss = kb * 1024
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 12 {
				ut, _ := strconv.ParseUint(f[11], 10, 64)
				st, _ := strconv.ParseUint(f[12], 10, 64)
				cpu = time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
			}
		}
	}
	return rss, cpu
}
