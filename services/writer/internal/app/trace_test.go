package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/tracing"
)

// TestRunFlushesSpans: with tracing on, the spans the batch processor still holds when the writer stops
// are exported during its shutdown, while its NATS connection is still open (before the drain).
func TestRunFlushesSpans(t *testing.T) {
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "600000") // nothing is exported before the shutdown flush
	ns := natsServer(t)
	var mu sync.Mutex
	var exports []int // the writer's NATS connections open at each export
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, _ := io.ReadAll(r.Body); len(body) > 0 && r.URL.Path == "/v1/traces" {
			mu.Lock()
			exports = append(exports, ns.NumClients())
			mu.Unlock()
		}
	}))
	defer collector.Close()
	cfg := config.Config{DatabaseURL: pgtest.FreshDatabase(t), NATS: natsconn.Config{URL: ns.ClientURL()}, Addr: "127.0.0.1:0",
		HTTP: testHTTP, AdminToken: adminToken, Stream: "HALYARD_TEST", SubjectPrefix: "halyard.test", StreamReplicas: 1,
		PollInterval: 100 * time.Millisecond,
		Tracing:      tracing.Config{TracesEndpoint: collector.URL + "/v1/traces", Sampler: tracing.DefaultSampler}}
	base, stop := startRun(t, cfg)
	waitFor(t, "the writer to be ready", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	var env struct {
		ID int64 `json:"id"`
	}
	post(t, base+"/api/v1/projects", `{"name": "traced"}`, &env)
	post(t, base+"/api/v1/projects/"+strconv.FormatInt(env.ID, 10)+"/environments", `{"name": "prod"}`, &env)
	var f struct {
		EnvironmentVersion int64 `json:"environment_version"`
	}
	post(t, base+"/api/v1/environments/"+strconv.FormatInt(env.ID, 10)+"/flags", `{"key": "launch"}`, &f)
	waitPublished(t, ns.ClientURL(), "halyard.test."+strconv.FormatInt(env.ID, 10), f.EnvironmentVersion)
	mu.Lock()
	early := len(exports)
	mu.Unlock()
	if early != 0 {
		t.Fatalf("%d exports before the shutdown: the test proves nothing", early)
	}

	stop()
	mu.Lock()
	defer mu.Unlock()
	if len(exports) == 0 {
		t.Fatal("no spans exported at shutdown")
	}
	for _, clients := range exports {
		if clients != 1 {
			t.Errorf("spans exported with %d NATS clients connected, want the writer's 1: NATS drained first", clients)
		}
	}
}
