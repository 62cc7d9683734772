package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/devkit/loadgen"
)

// Request is one HTTP request shape, sent by wrk and by the open-loop generator alike: the same method, URL
// and headers, with bodies taken in turn (so users, emails and rollout buckets vary).
type Request struct {
	Method string
	URL    string
	Header map[string]string
	Bodies [][]byte
}

// Target converts r for the open-loop generator.
func (r Request) Target() loadgen.Target {
	h := http.Header{}
	for k, v := range r.Header {
		h.Set(k, v)
	}
	return loadgen.Target{Method: r.Method, URL: r.URL, Header: h, Bodies: r.Bodies}
}

// WithBase returns r sent to another server (the ceiling) at the same path.
func (r Request) WithBase(base string) Request {
	u, _ := url.Parse(r.URL)
	r.URL = strings.TrimRight(base, "/") + u.RequestURI()
	return r
}

// WrkSettings is wrk's closed-loop configuration.
type WrkSettings struct {
	Threads, Conns int
	Duration       time.Duration
	Warmup         time.Duration
}

func (s WrkSettings) String() string {
	return fmt.Sprintf("wrk -t%d -c%d -d%s", s.Threads, s.Conns, s.Duration)
}

// wrkLua sends the bodies in turn and prints a machine-readable summary (latencies in µs) when done.
const wrkLua = `
local bodies = {%s}
local headers = {%s}
local reqs = {}
local n = 0
init = function(args)
  for i, b in ipairs(bodies) do reqs[i] = wrk.format(%q, %q, headers, b) end
end
request = function()
  n = n %% #reqs + 1
  return reqs[n]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCHJSON {\"requests\":%%d,\"duration_us\":%%d,\"status_errors\":%%d,\"socket_errors\":%%d,\"p50\":%%d,\"p90\":%%d,\"p99\":%%d,\"p999\":%%d,\"max\":%%d}\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`

// RunWrk runs a warm-up, then the measured closed-loop run, and returns the measured one.
func RunWrk(ctx context.Context, dir, name string, r Request, s WrkSettings) (Load, string, error) {
	script, err := writeWrkScript(dir, name, r)
	if err != nil {
		return Load{}, "", err
	}
	if s.Warmup > 0 {
		if _, _, err := wrkOnce(ctx, script, r.URL, s.Threads, s.Conns, s.Warmup); err != nil {
			return Load{}, "", err
		}
	}
	l, cmd, err := wrkOnce(ctx, script, r.URL, s.Threads, s.Conns, s.Duration)
	l.Name, l.Tool, l.Key = name, s.String(), s.String()
	return l, cmd, err
}

func writeWrkScript(dir, name string, r Request) (string, error) {
	var bodies, headers strings.Builder
	for _, b := range r.Bodies {
		fmt.Fprintf(&bodies, "[==[%s]==],", b)
	}
	if len(r.Bodies) == 0 {
		bodies.WriteString(`""`)
	}
	for k, v := range r.Header {
		fmt.Fprintf(&headers, "[%q]=%q,", k, v)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "wrk-"+slug(name)+".lua")
	lua := fmt.Sprintf(wrkLua, bodies.String(), headers.String(), r.Method, u.RequestURI())
	return path, os.WriteFile(path, []byte(lua), 0o644)
}

func wrkOnce(ctx context.Context, script, target string, threads, conns int, d time.Duration) (Load, string, error) {
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	args := []string{fmt.Sprintf("-t%d", threads), fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", secs), "--timeout", "5s", "-s", script, target}
	cmd := exec.CommandContext(ctx, "wrk", args...)
	out, err := cmd.CombinedOutput()
	line := "wrk " + strings.Join(args, " ")
	if err != nil {
		return Load{}, line, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	l, err := parseWrk(string(out))
	return l, line, err
}

func parseWrk(out string) (Load, error) {
	i := strings.Index(out, "BENCHJSON ")
	if i < 0 {
		return Load{}, fmt.Errorf("wrk printed no summary:\n%s", out)
	}
	line := out[i+len("BENCHJSON "):]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	var s struct {
		Requests     uint64 `json:"requests"`
		DurationUS   uint64 `json:"duration_us"`
		StatusErrors uint64 `json:"status_errors"`
		SocketErrors uint64 `json:"socket_errors"`
		P50, P90     float64
		P99, P999    float64
		Max          float64
	}
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		return Load{}, fmt.Errorf("wrk summary %q: %w", line, err)
	}
	l := Load{Requests: s.Requests, Errors: s.StatusErrors + s.SocketErrors,
		P50: s.P50 / 1000, P90: s.P90 / 1000, P99: s.P99 / 1000, P999: s.P999 / 1000, Max: s.Max / 1000}
	if s.DurationUS > 0 {
		l.RPS = float64(s.Requests) / (float64(s.DurationUS) / 1e6)
	}
	return l, nil
}

// OpenSettings is the open-loop generator's configuration.
type OpenSettings struct {
	Rate     float64
	Duration time.Duration
	Warmup   time.Duration // at the same rate first, not recorded
}

func (s OpenSettings) String() string {
	return fmt.Sprintf("open loop %.0f/s %s", s.Rate, s.Duration)
}

// RunOpen runs the open-loop generator and converts its result.
func RunOpen(ctx context.Context, name string, r Request, s OpenSettings) Load {
	res := loadgen.Run(ctx, r.Target(), loadgen.Config{Rate: s.Rate, Duration: s.Duration, Warmup: s.Warmup})
	return LoadOf(name, s.String(), res)
}

// LoadOf converts an open-loop result.
func LoadOf(name, tool string, res *loadgen.Result) Load {
	h := res.Latency
	f := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return Load{Name: name, Tool: tool, Key: tool, Requests: res.OK + res.Errors, Errors: res.Errors, RPS: res.Throughput(),
		P50: f(h.Quantile(0.5)), P90: f(h.Quantile(0.9)), P99: f(h.Quantile(0.99)), P999: f(h.Quantile(0.999)), Max: f(h.Max())}
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}
