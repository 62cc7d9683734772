package loadgen

import (
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestHistogramQuantilesWithinPrecision(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var values []time.Duration
	for range 100_000 {
		// Log-uniform from 1µs to 1s, like real latencies with a long tail.
		v := time.Duration(float64(time.Microsecond) * math.Pow(10, r.Float64()*6))
		values = append(values, v)
		h.Record(v)
	}
	slices.Sort(values)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := values[max(int(q*float64(len(values)))-1, 0)]
		got := h.Quantile(q)
		if diff := float64(got-want) / float64(want); diff > 0.01 || diff < -0.01 {
			t.Errorf("Quantile(%v) = %v, want %v ± 1%%", q, got, want)
		}
	}
	if h.Max() != values[len(values)-1] || h.Min() != values[0] {
		t.Errorf("Min/Max = %v/%v, want %v/%v", h.Min(), h.Max(), values[0], values[len(values)-1])
	}
	if h.Count() != uint64(len(values)) {
		t.Errorf("Count = %d", h.Count())
	}
}

func TestHistogramSmallValuesExactAndMerge(t *testing.T) {
	var a, b Histogram
	for v := range 100 {
		a.Record(time.Duration(v))
		b.Record(time.Duration(v + 100))
	}
	a.Merge(&b)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 99}, {0.01, 1}, {0.995, 198}, {1, 199}} {
		if got := a.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %d, want %d", tc.q, got, tc.want)
		}
	}
	if got := a.Mean(); got != 99 { // (0+...+199)/200 = 99.5, truncated
		t.Errorf("Mean = %d, want 99", got)
	}
	var empty Histogram
	if empty.Quantile(0.99) != 0 || empty.Mean() != 0 {
		t.Error("empty histogram must answer 0")
	}
}

func TestBucketsRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, 255, 256, 257, 1000, 123456789, 1 << 40, 1<<62 + 12345} {
		got := valueOf(bucketOf(v))
		if d := float64(got-v) / float64(max(v, 1)); d > 1.0/128 || d < -1.0/128 {
			t.Errorf("valueOf(bucketOf(%d)) = %d", v, got)
		}
	}
}

func TestRunOpenLoopAgainstLocalServer(t *testing.T) {
	srv := newTestServer(t)
	res := Run(t.Context(), Target{Method: "POST", URL: srv, Bodies: [][]byte{[]byte(`{}`)}},
		Config{Rate: 500, Duration: 200 * time.Millisecond, Workers: 8})
	if res.Sent != 100 || res.OK != 100 || res.Errors != 0 {
		t.Fatalf("sent %d ok %d errors %d (%s)", res.Sent, res.OK, res.Errors, res.LastError)
	}
	if res.Latency.Count() != 100 {
		t.Fatalf("recorded %d latencies", res.Latency.Count())
	}
}

// TestRunWarmupIsSentButNotRecorded: the warm-up's requests reach the server at the same rate, and only the
// requests due after it are counted and timed.
func TestRunWarmupIsSentButNotRecorded(t *testing.T) {
	var served atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(s.Close)
	start := time.Now()
	res := Run(t.Context(), Target{Method: "GET", URL: s.URL},
		Config{Rate: 500, Duration: 200 * time.Millisecond, Warmup: 200 * time.Millisecond, Workers: 8})
	if res.Sent != 100 || res.OK != 100 || res.Latency.Count() != 100 {
		t.Fatalf("sent %d, ok %d, recorded %d: want 100 each", res.Sent, res.OK, res.Latency.Count())
	}
	if n := served.Load(); n != 200 {
		t.Fatalf("the server answered %d requests, want 200 (100 of them the warm-up)", n)
	}
	if res.Elapsed > time.Since(start)-150*time.Millisecond {
		t.Fatalf("elapsed %s counts the warm-up (the whole run took %s)", res.Elapsed, time.Since(start))
	}
}
