// Package loadgen is an open-loop HTTP load generator: it sends requests at a fixed rate whatever the server's
// latency, and measures each latency from the moment the request was *due*, not from when it could be sent, so
// a server that stalls is charged for every request that queued behind the stall (no coordinated omission).
// Latencies go into an HDR-style log-linear histogram (Histogram).
package loadgen

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Target is what to send: the same method, URL and headers each time, with the bodies taken in turn.
type Target struct {
	Method string
	URL    string
	Header http.Header
	Bodies [][]byte // cycled; nil or empty = no body
	// Check, when set, judges each answer by its status and body: an error counts the request as failed
	// (and is LastError). Without it, any 2xx is a success and bodies are not kept.
	Check func(status int, body []byte) error
}

// Config says how hard and how long.
type Config struct {
	Rate     float64       // requests per second
	Duration time.Duration // how long to send, after the warm-up
	Warmup   time.Duration // sent at the same rate first, not recorded (connections, the server's and our own start-up)
	Workers  int           // concurrent connections at most (default 256)
	Timeout  time.Duration // per request (default 5s)
}

// Result is what a run measured.
type Result struct {
	Sent      uint64        // requests due during the run, after the warm-up
	OK        uint64        // 2xx answers
	Errors    uint64        // non-2xx answers and transport errors
	Elapsed   time.Duration // from the first due time after the warm-up to the last answer
	Latency   *Histogram    // every answered request (2xx or not), from its due time
	Statuses  map[int]uint64
	LastError string
}

// Throughput is answered requests per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK+r.Errors) / r.Elapsed.Seconds()
}

// Run sends requests to t at cfg.Rate for cfg.Duration and waits for the last answer.
func Run(ctx context.Context, t Target, cfg Config) *Result {
	if cfg.Workers <= 0 {
		cfg.Workers = 256
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	client := NewClient(cfg.Workers, cfg.Timeout)
	defer client.CloseIdleConnections()
	warm := uint64(cfg.Rate * cfg.Warmup.Seconds())
	total := warm + uint64(cfg.Rate*cfg.Duration.Seconds())
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	due := make(chan uint64, max(int(total), 1))
	start := time.Now()
	measuredFrom := start.Add(time.Duration(warm) * interval)

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		res     = &Result{Sent: total - warm, Latency: &Histogram{}, Statuses: map[int]uint64{}}
		lastErr atomic.Value
	)
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := &Histogram{}
			statuses := map[int]uint64{}
			var ok, bad uint64
			for i := range due {
				when := start.Add(time.Duration(i) * interval)
				status, err := send(ctx, client, t, i)
				if i < warm {
					continue
				}
				h.Record(time.Since(when))
				switch {
				case err != nil:
					bad++
					lastErr.Store(err.Error())
				case status/100 == 2 || t.Check != nil:
					ok++
				default:
					bad++
				}
				statuses[status]++
			}
			mu.Lock()
			res.Latency.Merge(h)
			res.OK += ok
			res.Errors += bad
			for s, n := range statuses {
				res.Statuses[s] += n
			}
			mu.Unlock()
		}()
	}
	schedule(ctx, due, start, interval, total)
	close(due)
	wg.Wait()
	res.Elapsed = time.Since(measuredFrom)
	if e, ok := lastErr.Load().(string); ok {
		res.LastError = e
	}
	return res
}

// schedule releases request i at start+i*interval. Sleeping has a coarse granularity, so it releases every
// request that is due at each wake-up; latencies are measured from the due time anyway.
func schedule(ctx context.Context, due chan<- uint64, start time.Time, interval time.Duration, total uint64) {
	var next uint64
	for next < total {
		if ctx.Err() != nil {
			return
		}
		now := time.Since(start)
		for next < total && time.Duration(next)*interval <= now {
			due <- next
			next++
		}
		if next < total {
			time.Sleep(min(time.Duration(next)*interval-now, time.Millisecond))
		}
	}
}

func send(ctx context.Context, c *http.Client, t Target, i uint64) (int, error) {
	var body io.Reader
	if len(t.Bodies) > 0 {
		body = bytes.NewReader(t.Bodies[i%uint64(len(t.Bodies))])
	}
	req, err := http.NewRequestWithContext(ctx, t.Method, t.URL, body)
	if err != nil {
		return 0, err
	}
	for k, v := range t.Header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if t.Check == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	b, err := io.ReadAll(resp.Body)
	if err == nil {
		err = t.Check(resp.StatusCode, b)
	}
	return resp.StatusCode, err
}

// NewClient is an HTTP client that keeps up to conns connections to one host alive.
func NewClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: timeout}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}}
}
