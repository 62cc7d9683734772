package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// entries returns the lines logged so far, decoded.
func (l *logBuffer) entries(tb testing.TB) []map[string]any {
	tb.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			tb.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// jsonLogger logs JSON lines, as production does, into buf.
func jsonLogger(buf *logBuffer, name string) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(buf), zapcore.InfoLevel)).Named(name)
}

// observed is testServer measured on a fresh registry, with its access log in access and its other logs
// in logs.
type observed struct {
	s            *Server
	h            http.Handler
	reg          *prometheus.Registry
	access, logs *logBuffer
}

func observedServer(tb testing.TB) *observed {
	tb.Helper()
	s, _ := testServer(tb)
	o := &observed{s: s, reg: prometheus.NewRegistry(), access: &logBuffer{}, logs: &logBuffer{}}
	s.Metrics = NewMetrics(o.reg)
	s.AccessLog = jsonLogger(o.access, "access")
	s.Log = jsonLogger(o.logs, "http")
	o.h = s.Handler()
	return o
}

// samples is every sample of g by name{label="value",…} (labels sorted by name): a counter's or a gauge's
// value, a histogram's count as name_count{…}.
func samples(tb testing.TB, g prometheus.Gatherer) map[string]float64 {
	tb.Helper()
	mfs, err := g.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+strconv.Quote(l.GetValue()))
			}
			sort.Strings(labels)
			suffix := "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Counter != nil:
				out[mf.GetName()+suffix] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[mf.GetName()+suffix] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[mf.GetName()+"_count"+suffix] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// nonZero keeps the samples of the named metrics that are not 0.
func nonZero(all map[string]float64, names ...string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range all {
		for _, n := range names {
			if strings.HasPrefix(k, n+"{") && v != 0 {
				out[k] = v
			}
		}
	}
	return out
}
