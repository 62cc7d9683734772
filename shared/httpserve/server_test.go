package httpserve

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestServerStops: once the context ends, the ready path answers 503 stopping at once while every other
// request is still answered (and told to close its connection) for the lame duck; a request in flight when
// the lame duck ends finishes; Run returns nil soon after.
func TestServerStops(t *testing.T) {
	slow := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"status":"ready"}`) })
	mux.HandleFunc("/work", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "done") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, _ *http.Request) { <-slow; io.WriteString(w, "slow done") })
	const lameDuck = 500 * time.Millisecond
	cfg := Config{ReadHeaderTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		IdleTimeout: 5 * time.Second, LameDuck: lameDuck, ShutdownTimeout: 5 * time.Second}
	base, done, cancel := start(t, &Server{Handler: mux, Config: cfg, ReadyPath: "/readyz"})

	if got := fetch(t, base+"/readyz"); got.status != http.StatusOK {
		t.Fatalf("/readyz before stopping = %+v", got)
	}
	slowAnswer := make(chan answer, 1)
	go func() { slowAnswer <- fetch(t, base+"/slow") }()
	stopped := time.Now()
	cancel()
	var ready answer
	for deadline := time.Now().Add(lameDuck / 2); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if ready = fetch(t, base+"/readyz"); ready.status != http.StatusOK {
			break
		}
	}
	want := []answer{
		{status: http.StatusServiceUnavailable, body: `{"status":"stopping"}` + "\n", close: true},
		{status: http.StatusOK, body: "done", close: true},
	}
	got := []answer{ready, fetch(t, base+"/work")}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(answer{})); diff != "" {
		t.Errorf("answers during the lame duck mismatch (-want +got):\n%s", diff)
	}
	if elapsed := time.Since(stopped); elapsed >= lameDuck {
		t.Fatalf("the checks took %s, longer than the lame duck: the test proves nothing", elapsed)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned during the lame duck: %v", err)
	case <-time.After(lameDuck - time.Since(stopped) + 100*time.Millisecond):
	}
	close(slow) // in flight at Shutdown: it finishes
	if got := <-slowAnswer; got.status != http.StatusOK || got.body != "slow done" {
		t.Errorf("request in flight at shutdown = %+v", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of the lame duck's end")
	}
	if _, err := http.Get(base + "/work"); err == nil {
		t.Error("the server still accepts connections after Run returned")
	}
}

// TestServerShutdownTimeout: a request still running when the shutdown timeout passes is cut, and Run says so.
func TestServerShutdownTimeout(t *testing.T) {
	entered, stuck := make(chan struct{}), make(chan struct{})
	defer close(stuck)
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { close(entered); <-stuck })
	cfg := Auxiliary
	cfg.ShutdownTimeout = 100 * time.Millisecond
	base, done, cancel := start(t, &Server{Handler: h, Config: cfg})
	go http.Get(base + "/") //nolint:errcheck // cut by the shutdown
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not arrive")
	}
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "still in flight") {
			t.Fatalf("Run = %v, want an error about the request still in flight", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not give up on a stuck request")
	}
}

type answer struct {
	status int
	body   string
	close  bool
}

// start runs s on a random port; the returned function ends its context.
func start(tb testing.TB, s *Server) (base string, done <-chan error, cancel func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	addrs := make(chan net.Addr, 1)
	s.Addr, s.Bound = "127.0.0.1:0", func(a net.Addr) { addrs <- a }
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	select {
	case a := <-addrs:
		return "http://" + a.String(), errc, cancel
	case err := <-errc:
		tb.Fatalf("Run: %v", err)
	}
	return "", nil, nil
}

func fetch(tb testing.TB, url string) answer {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Errorf("GET %s: %v", url, err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b), close: resp.Close}
}
