package app

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"github.com/halyard-flags/halyard/shared/natsconn"
)

// TestRunEndsEventStreams: an open events stream neither holds the writer's shutdown up until the HTTP
// drain deadline (10 s) nor outlives it: the stream ends, and Run returns, at once.
func TestRunEndsEventStreams(t *testing.T) {
	ns := natsServer(t)
	cfg := config.Config{DatabaseURL: pgtest.FreshDatabase(t), NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0", HTTP: testHTTP,
		AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test", StreamReplicas: 1,
		PollInterval: 100 * time.Millisecond}
	base, stop := startRun(t, cfg)
	waitFor(t, "the writer to be ready", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	var env struct {
		ID int64 `json:"id"`
	}
	post(t, base+"/api/v1/projects", `{"name": "app"}`, &env)
	post(t, base+"/api/v1/projects/"+strconv.FormatInt(env.ID, 10)+"/environments", `{"name": "prod"}`, &env)

	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/environments/"+strconv.FormatInt(env.ID, 10)+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || line != "event: version\n" {
		t.Fatalf("first line %q, %v; want the version event", line, err)
	}

	start := time.Now()
	stop()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v to stop with a stream open", took)
	}
	if _, err := io.ReadAll(r); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Errorf("reading the rest of the stream: %v", err)
	}
}

// TestEventStreamOutlivesWriteTimeout: the server's write timeout bounds ordinary answers, not an events
// stream: a change made after the timeout has passed still reaches an open stream.
func TestEventStreamOutlivesWriteTimeout(t *testing.T) {
	ns := natsServer(t)
	httpCfg := testHTTP
	httpCfg.WriteTimeout = 300 * time.Millisecond
	cfg := config.Config{DatabaseURL: pgtest.FreshDatabase(t), NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0", HTTP: httpCfg,
		AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test", StreamReplicas: 1,
		PollInterval: 100 * time.Millisecond}
	base, stop := startRun(t, cfg)
	defer stop()
	waitFor(t, "the writer to be ready", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	var env struct {
		ID int64 `json:"id"`
	}
	post(t, base+"/api/v1/projects", `{"name": "app"}`, &env)
	post(t, base+"/api/v1/projects/"+strconv.FormatInt(env.ID, 10)+"/environments", `{"name": "prod"}`, &env)
	envPath := base + "/api/v1/environments/" + strconv.FormatInt(env.ID, 10)
	req, _ := http.NewRequest(http.MethodGet, envPath+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 16)
	go func() {
		r := bufio.NewReader(resp.Body)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(events)
				return
			}
			if strings.HasPrefix(line, "data:") {
				events <- line
			}
		}
	}()
	<-events                             // the version on connect
	time.Sleep(2 * httpCfg.WriteTimeout) // the injected wait past the deadline, not a wait for a condition
	var f struct {
		EnvironmentVersion int64 `json:"environment_version"`
	}
	post(t, envPath+"/flags", `{"key": "late"}`, &f)
	want := `"version":` + strconv.FormatInt(f.EnvironmentVersion, 10)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before the change made after the write timeout arrived")
			}
			if strings.Contains(line, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no event with %s within 10s", want)
		}
	}
}
