package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/logging"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// The HTTP scenarios of make bench (1 to 3, devkit/bench/targets.go) in process, with the environments and
// request bodies devkit/bench uses (devkit/bench/fixtures.go): the whole echo handler (routing, CORS, decode,
// authenticate, evaluate, encode), with a reused request and a discarding ResponseWriter so the harness
// itself costs little.

func targetedFlag(key string) map[string]any {
	return map[string]any{"key": key, "filters": map[string]any{"groups": []any{
		map[string]any{"properties": []any{map[string]any{"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"}},
			"rollout_percentage": 50},
	}}}
}

func mixedFlag(i int) map[string]any {
	key := fmt.Sprintf("mixed-%04d", i)
	if i%2 == 0 {
		return map[string]any{"key": key, "filters": map[string]any{"groups": []any{
			map[string]any{"properties": []any{}, "rollout_percentage": (i * 7) % 101}}}}
	}
	props := []map[string]any{
		{"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"},
		{"key": "plan", "type": "person", "operator": "exact", "value": []any{"pro", "enterprise"}},
		{"key": "age", "type": "person", "operator": "gte", "value": 30},
		{"key": "country", "type": "person", "operator": "regex", "value": "^(FR|DE|NL)$"},
	}
	return map[string]any{"key": key, "filters": map[string]any{"groups": []any{
		map[string]any{"properties": []any{props[(i/2)%4]}, "rollout_percentage": 50 + i%50}}}}
}

func benchServer(b *testing.B, docs []map[string]any) http.Handler {
	b.Helper()
	flags := make([]flag.Flag, len(docs))
	for i, d := range docs {
		raw, _ := json.Marshal(d)
		if err := json.Unmarshal(raw, &flags[i]); err != nil {
			b.Fatal(err)
		}
		flags[i].ID, flags[i].Version, flags[i].Active = int64(i+1), 1, true
	}
	st := store.New()
	st.Apply(testSnapshot(flags, 1))
	ready := &atomic.Bool{}
	ready.Store(true)
	s := &Server{Store: st, Ready: ready, Log: zap.NewNop()}
	observeBench(b, s)
	return s.Handler()
}

// observeBench measures s as the evaluator does: metrics, and the access log as the evaluator builds it,
// written into io.Discard. BENCH_OBSERVE=metrics leaves the access log out, BENCH_OBSERVE=none both (the
// request id and the panic recovery remain), to compare.
func observeBench(b *testing.B, s *Server) {
	b.Helper()
	mode := os.Getenv("BENCH_OBSERVE")
	if mode == "none" {
		return
	}
	s.Metrics = NewMetrics(prometheus.NewRegistry())
	if mode == "metrics" {
		return
	}
	access, err := logging.New("json", "info", logging.Buffered(time.Second), logging.Output(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	s.AccessLog = access.Named("access")
}

func benchPerson(i int) map[string]any {
	domain := "example.com"
	if i%2 == 1 {
		domain = "mail.test"
	}
	return map[string]any{"email": fmt.Sprintf("user-%d@%s", i, domain), "plan": []string{"free", "pro", "enterprise", "team"}[i%4],
		"age": 18 + i%50, "country": []string{"FR", "US", "DE", "JP", "NL"}[i%5]}
}

func benchBodies(f func(i int) any) [][]byte {
	out := make([][]byte, 64)
	for i := range out {
		out[i], _ = json.Marshal(f(i))
	}
	return out
}

// discard is a ResponseWriter that keeps only the status and the body's length.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(status int)      { d.status = status }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func runScenario(b *testing.B, h http.Handler, path string, bodies [][]byte, header http.Header) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodPost, path, nil)
	req.Header = header
	w := &discard{h: http.Header{}}
	rd := &bytes.Reader{}
	b.ReportAllocs()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		rd.Reset(bodies[i%len(bodies)])
		req.Body, req.ContentLength = io.NopCloser(rd), int64(rd.Len())
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
		i++
	}
	b.ReportMetric(float64(w.n), "resp-bytes")
	// CPU time (user + system, GC workers included) per request: on a shared machine it moves far less than
	// wall time does with the neighbours' load.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkScenario1OFREPOne(b *testing.B) {
	h := benchServer(b, []map[string]any{targetedFlag("targeted")})
	bodies := benchBodies(func(i int) any {
		return map[string]any{"context": map[string]any{"targetingKey": fmt.Sprintf("user-%d", i), "email": benchPerson(i)["email"]}}
	})
	runScenario(b, h, "/ofrep/v1/evaluate/flags/targeted", bodies,
		http.Header{"Authorization": {"Bearer " + testSDKKey}, "Content-Type": {"application/json"}})
}

func mixed(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = mixedFlag(i)
	}
	return out
}

func BenchmarkScenario2OFREPBulk50(b *testing.B) {
	bodies := benchBodies(func(i int) any {
		c := benchPerson(i)
		c["targetingKey"] = fmt.Sprintf("user-%d", i)
		return map[string]any{"context": c}
	})
	runScenario(b, benchServer(b, mixed(50)), "/ofrep/v1/evaluate/flags", bodies,
		http.Header{"Authorization": {"Bearer " + testSDKKey}, "Content-Type": {"application/json"}})
}

func flagsBodies() [][]byte {
	return benchBodies(func(i int) any {
		return map[string]any{"token": testSDKKey, "distinct_id": fmt.Sprintf("user-%d", i), "person_properties": benchPerson(i)}
	})
}

func BenchmarkScenario2FlagsV2_50(b *testing.B) {
	runScenario(b, benchServer(b, mixed(50)), "/flags?v=2", flagsBodies(), http.Header{"Content-Type": {"application/json"}})
}

// BenchmarkFlagsBrowserQuery_50 is scenario 2's /flags with the query posthog-js sends (more parameters
// than server SDKs' v=2), its body uncompressed.
func BenchmarkFlagsBrowserQuery_50(b *testing.B) {
	runScenario(b, benchServer(b, mixed(50)), "/flags/?v=2&config=true&ip=0&_=1764000000000&ver=1.200.0", flagsBodies(),
		http.Header{"Content-Type": {"application/json"}})
}

func BenchmarkScenario3FlagsV2_1000(b *testing.B) {
	runScenario(b, benchServer(b, mixed(1000)), "/flags?v=2", flagsBodies(), http.Header{"Content-Type": {"application/json"}})
}

// The other PostHog shapes over the same 50 flags: /flags?v=1 (values and payloads) and /decide v1 to v3.
func BenchmarkFlagsV1_50(b *testing.B) {
	runScenario(b, benchServer(b, mixed(50)), "/flags?v=1", flagsBodies(), http.Header{"Content-Type": {"application/json"}})
}

func BenchmarkDecide_50(b *testing.B) {
	h := benchServer(b, mixed(50))
	for _, v := range []string{"1", "2", "3"} {
		b.Run("v"+v, func(b *testing.B) {
			runScenario(b, h, "/decide/?v="+v, flagsBodies(), http.Header{"Content-Type": {"application/json"}})
		})
	}
}

// BenchmarkScenario1OFREPOneHTTP is scenario 1 over a real loopback connection (net/http server, one
// keep-alive client in the same process), so the figures include what make bench's throughput pays for:
// the kernel, net/http and a client on the same cores.
func BenchmarkScenario1OFREPOneHTTP(b *testing.B) {
	srv := httptest.NewServer(benchServer(b, []map[string]any{targetedFlag("targeted")}))
	defer srv.Close()
	bodies := benchBodies(func(i int) any {
		return map[string]any{"context": map[string]any{"targetingKey": fmt.Sprintf("user-%d", i), "email": benchPerson(i)["email"]}}
	})
	client := srv.Client()
	url := srv.URL + "/ofrep/v1/evaluate/flags/targeted"
	b.ReportAllocs()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Authorization", "Bearer "+testSDKKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		i++
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
