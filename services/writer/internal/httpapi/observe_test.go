package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// observed is the admin API on a fresh database with its log and metrics captured, plus a route that panics.
type observed struct {
	*api
	log *logBuffer
	reg *prometheus.Registry
}

func newObserved(tb testing.TB) *observed {
	tb.Helper()
	a := newAPI(tb)
	o := &observed{api: a, log: &logBuffer{}, reg: prometheus.NewRegistry()}
	var ready atomic.Bool
	ready.Store(true)
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(o.log), zapcore.DebugLevel)
	s := &Server{Environments: a.db, Flags: a.db, Cohorts: a.db, Bulk: a.db, Audit: a.db, Tokens: a.db,
		AdminToken: testAdminToken, Log: zap.New(core), Ready: &ready, Metrics: NewMetrics(o.reg)}
	e := s.Handler()
	e.GET("/panic", func(echo.Context) error { panic("the handler broke") })
	e.GET("/abort", func(echo.Context) error { panic(http.ErrAbortHandler) })
	a.h = e
	return o
}

// logBuffer collects JSON log lines; it is written to by the handler and read by the test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLine is what the tests read from a log line.
type logLine struct {
	Level     string `json:"level"`
	Msg       string `json:"msg"`
	RequestID string `json:"request_id"`
	Method    string `json:"method"`
	Route     string `json:"route"`
	Status    int    `json:"status"`
	Actor     string `json:"actor"`
	Stack     string `json:"stack"`
}

// lines decodes every log line written since the first skip lines.
func (b *logBuffer) lines(tb testing.TB, skip int) []logLine {
	tb.Helper()
	var out []logLine
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(nil, 1<<20)
	for n := 0; sc.Scan(); n++ {
		if n < skip {
			continue
		}
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			tb.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// TestAccessLog: every request, whatever its route and outcome, is one info line with its request id (the
// client's when sane, else a new one, echoed in X-Request-Id either way), method, route pattern, status and
// caller; and no token, sent in a header, the query string or a body, ever reaches the log.
func TestAccessLog(t *testing.T) {
	o := newObserved(t)
	var created tokenAnswer
	o.ok(http.MethodPost, "/tokens", map[string]any{"name": "ci", "scopes": []string{"write"}}, http.StatusCreated, &created)
	env := o.environment("access-log")
	const bogus = "hly_999_not-a-real-secret-at-all"
	long := strings.Repeat("a", 129)
	tests := []struct {
		name, method, path string
		token              string // "" is the bootstrap token
		body               any
		sentID             string
		want               logLine // RequestID "" means a new one
	}{
		{"liveness", http.MethodGet, "/healthz", "", nil, "", logLine{Route: "/healthz", Status: 200}},
		{"client's id", http.MethodGet, "/api/v1/projects", "", nil, "req-1:a.b_c",
			logLine{RequestID: "req-1:a.b_c", Route: "/api/v1/projects", Status: 200, Actor: "bootstrap"}},
		{"id with a space", http.MethodGet, "/api/v1/projects", "", nil, "req 1", logLine{Route: "/api/v1/projects", Status: 200, Actor: "bootstrap"}},
		{"id too long", http.MethodGet, "/api/v1/projects", "", nil, long, logLine{Route: "/api/v1/projects", Status: 200, Actor: "bootstrap"}},
		{"unknown route", http.MethodGet, "/api/v1/nope/123", "", nil, "", logLine{Route: "unmatched", Status: 404}},
		{"wrong method", http.MethodPatch, "/api/v1/projects", "", nil, "", logLine{Route: "/api/v1/projects", Status: 405}},
		{"created token in the header, bootstrap token in the body", http.MethodPost, "/api/v1" + env.path("/flags"), created.Token,
			map[string]any{"key": "logged", "description": testAdminToken},
			"", logLine{Route: "/api/v1/environments/:env_id/flags", Status: 201, Actor: "ci"}},
		{"tokens in the query string", http.MethodGet, "/api/v1" + env.path("/flags") + "?token=" + created.Token + "&search=" + testAdminToken, "", nil, "",
			logLine{Route: "/api/v1/environments/:env_id/flags", Status: 200, Actor: "bootstrap"}},
		{"unknown token", http.MethodGet, "/api/v1/projects", bogus, nil, "", logLine{Route: "/api/v1/projects", Status: 401}},
		{"token in a refused body", http.MethodPost, "/api/v1/tokens", "", map[string]any{"name": created.Token, "scopes": []string{"root"}}, "",
			logLine{Route: "/api/v1/tokens", Status: 422, Actor: "bootstrap"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(o.log.lines(t, 0))
			var body []byte
			if tc.body != nil {
				body, _ = json.Marshal(tc.body)
			}
			req := httptest.NewRequest(tc.method, tc.path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			token := tc.token
			if token == "" {
				token = testAdminToken
			}
			req.Header.Set("Authorization", "Bearer "+token)
			if tc.sentID != "" {
				req.Header.Set(HeaderRequestID, tc.sentID)
			}
			rec := httptest.NewRecorder()
			o.h.ServeHTTP(rec, req)

			lines := o.log.lines(t, before)
			var got []logLine
			for _, l := range lines {
				if l.Msg == "request" {
					got = append(got, logLine{Level: l.Level, Msg: l.Msg, RequestID: l.RequestID, Method: l.Method,
						Route: l.Route, Status: l.Status, Actor: l.Actor})
				}
			}
			echoed := rec.Header().Get(HeaderRequestID)
			want := tc.want
			want.Level, want.Msg, want.Method = "info", "request", tc.method
			if want.RequestID == "" {
				want.RequestID = echoed
				if echoed == "" || echoed == tc.sentID {
					t.Errorf("X-Request-Id %q; want a new id", echoed)
				}
			} else if echoed != want.RequestID {
				t.Errorf("X-Request-Id %q; want the client's %q", echoed, want.RequestID)
			}
			if diff := cmp.Diff([]logLine{want}, got); diff != "" {
				t.Errorf("access log mismatch (-want +got):\n%s", diff)
			}
		})
	}
	text := o.log.String()
	for name, secret := range map[string]string{"bootstrap token": testAdminToken, "created token": created.Token, "unknown token": bogus} {
		if strings.Contains(text, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
	if _, secret, _ := strings.Cut(strings.TrimPrefix(created.Token, "hly_"), "_"); strings.Contains(text, secret) {
		t.Error("the log holds the created token's secret")
	}
}

// TestPanic: a panicking handler answers 500 with the usual JSON error, is logged once at error level with
// its stack, counted, and still gets its access log line; a deliberate http.ErrAbortHandler is let through.
func TestPanic(t *testing.T) {
	o := newObserved(t)
	rec := httptest.NewRecorder()
	o.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panic", nil))
	var body errorAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 500 || body.Code != "internal" || body.Message != "internal error" {
		t.Errorf("GET /panic: %d %s; want 500 with code internal", rec.Code, rec.Body)
	}
	var errorLines, requestLines []logLine
	for _, l := range o.log.lines(t, 0) {
		switch {
		case l.Level == "error":
			errorLines = append(errorLines, l)
		case l.Msg == "request":
			requestLines = append(requestLines, l)
		}
	}
	if len(errorLines) != 1 || errorLines[0].Msg != "panic recovered" || !strings.Contains(errorLines[0].Stack, "observe_test.go") ||
		errorLines[0].RequestID != rec.Header().Get(HeaderRequestID) {
		t.Errorf("error lines %+v; want one panic recovered with the request id and a stack through the handler", errorLines)
	}
	if len(requestLines) != 1 || requestLines[0].Status != 500 || requestLines[0].Route != "/panic" {
		t.Errorf("access lines %+v; want one with status 500", requestLines)
	}
	if got := sample(t, o.reg, "halyard_panics_recovered_total"); got != 1 {
		t.Errorf("halyard_panics_recovered_total = %v; want 1", got)
	}
	if got := sample(t, o.reg, "halyard_http_requests_total", "route", "/panic", "method", "GET", "status", "500"); got != 1 {
		t.Errorf(`halyard_http_requests_total{route="/panic",status="500"} = %v; want 1`, got)
	}

	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("GET /abort panicked with %v; want http.ErrAbortHandler let through", r)
		}
	}()
	o.h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/abort", nil))
}

// TestRequestMetrics: requests are counted by route pattern, method and status, and timed; a change
// answered 2xx is counted under the resource it changed, a refused one is not; every resource has a
// series from the start.
func TestRequestMetrics(t *testing.T) {
	o := newObserved(t)
	for _, res := range []string{"token", "project", "environment", "key", "group_types", "flag", "cohort", "cohort_members", "import"} {
		if _, ok := find(t, o.reg, "halyard_changes_committed_total", "resource", res); !ok {
			t.Errorf("no halyard_changes_committed_total series for %s", res)
		}
	}
	env := o.environment("metrics")
	o.ok(http.MethodPost, env.path("/flags"), map[string]any{"key": "one"}, http.StatusCreated, nil)
	o.ok(http.MethodPost, env.path("/flags/one/toggle"), nil, http.StatusOK, nil)
	o.fails(http.MethodPost, env.path("/flags"), map[string]any{"key": "one"}, http.StatusConflict, "flag_exists")
	o.ok(http.MethodGet, env.path("/flags/one"), nil, http.StatusOK, nil)
	o.call(http.MethodGet, "/nothing/here", nil)

	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"halyard_changes_committed_total", []string{"resource", "flag"}, 2},
		{"halyard_changes_committed_total", []string{"resource", "project"}, 1},
		{"halyard_changes_committed_total", []string{"resource", "environment"}, 1},
		{"halyard_http_requests_total", []string{"route", "/api/v1/environments/:env_id/flags", "method", "POST", "status", "201"}, 1},
		{"halyard_http_requests_total", []string{"route", "/api/v1/environments/:env_id/flags", "method", "POST", "status", "409"}, 1},
		{"halyard_http_requests_total", []string{"route", "/api/v1/environments/:env_id/flags/:key", "method", "GET", "status", "200"}, 1},
		{"halyard_http_requests_total", []string{"route", "unmatched", "method", "GET", "status", "404"}, 1},
		{"halyard_http_request_duration_seconds", []string{"route", "/api/v1/environments/:env_id/flags", "method", "POST"}, 2},
		{"halyard_http_requests_in_flight", nil, 0},
	} {
		if got := sample(t, o.reg, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v; want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

// sample is the value of the metric with these label name, value pairs (a histogram's sample count), and
// fails the test when there is none.
func sample(tb testing.TB, reg prometheus.Gatherer, name string, labels ...string) float64 {
	tb.Helper()
	v, ok := find(tb, reg, name, labels...)
	if !ok {
		tb.Fatalf("no %s%v", name, labels)
	}
	return v
}

func find(tb testing.TB, reg prometheus.Gatherer, name string, labels ...string) (float64, bool) {
	tb.Helper()
	families, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				return value(m), true
			}
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, labels []string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(labels); i += 2 {
		if have[labels[i]] != labels[i+1] {
			return false
		}
	}
	return true
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}
