package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/shared/buildinfo"
)

// TestMetrics: the evaluator's /metrics, scraped on the admin listener while requests go through the real
// handler and snapshots through the real follower and an in-process JetStream, has every metric the
// evaluator promises, with its labels, and each moves when it should.
func TestMetrics(t *testing.T) {
	srv := startNATS(t, -1, t.TempDir())
	js := publisher(t, natsPort(srv))
	publish(t, js, 1, 1, encode(t, snapshot(1, 1)))
	// Three requests a second per key, in bursts of three: the fourth SDK-key request is refused.
	ev := runEvaluator(t, srv.ClientURL(), func(c *config.Config) { c.RateLimit, c.RateBurst = 1, 3 })

	bi := buildinfo.Get()
	before := scrape(t, ev)
	for name, want := range map[string]float64{
		fmt.Sprintf(`halyard_build_info{commit=%q,go=%q,version=%q}`, bi.Commit, bi.Go, bi.Version): 1,
		`halyard_ready`:                                                          1,
		`halyard_nats_connected`:                                                 1,
		`halyard_nats_reconnects_total`:                                          0,
		`halyard_environments`:                                                   1,
		`halyard_snapshot_version{environment="1"}`:                              1,
		`halyard_snapshots_applied_total`:                                        1,
		`halyard_snapshot_apply_duration_seconds_count`:                          1,
		`halyard_snapshots_rejected_total{reason="decode"}`:                      0,
		`halyard_snapshots_rejected_total{reason="format_version"}`:              0,
		`halyard_snapshots_rejected_total{reason="older"}`:                       0,
		`halyard_snapshots_rejected_total{reason="wrong_environment"}`:           0,
		`halyard_replication_lag_seconds_count{stage="commit_to_apply"}`:         0, // the catch-up is not replication
		`halyard_replication_lag_seconds_count{stage="publish_to_apply"}`:        0,
		`halyard_http_requests_in_flight`:                                        0,
		`halyard_panics_recovered_total`:                                         0,
		`halyard_evaluations_total{route="flags"}`:                               0,
		`halyard_rate_limited_requests_total{route="ofrep_single"}`:              0,
		`halyard_http_requests_total{method="POST",route="/flags",status="200"}`: 0,
	} {
		if got, ok := before[name]; !ok || got != want {
			t.Errorf("before any request: %s = %v (present %t), want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{`halyard_snapshot_age_seconds{environment="1"}`, `halyard_snapshot_last_apply_timestamp_seconds{environment="1"}`,
		"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := before[name]; !ok {
			t.Errorf("no %s", name)
		}
	}

	ofrep := `{"context":{"targetingKey":"u"}}`
	codes := []int{
		post(t, ev.url+"/flags?v=2", `{"token":"sdk-1","distinct_id":"u"}`),
		post(t, ev.url+"/ofrep/v1/evaluate/flags/on", ofrep, "Authorization", "Bearer sdk-1"),
		post(t, ev.url+"/ofrep/v1/evaluate/flags", ofrep, "Authorization", "Bearer sdk-1"),
		post(t, ev.url+"/decide?v=3", `{"token":"sdk-1","distinct_id":"u"}`),
		post(t, ev.url+"/decide?v=3", `{"token":"sdk-1","distinct_id":"u"}`),
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 200 || codes[3] != 429 && codes[4] != 429 {
		t.Fatalf("answers %v: want 200 three times, then at least one 429", codes)
	}
	if code, _ := get(t, ev.url+"/nowhere"); code != http.StatusNotFound {
		t.Errorf("GET /nowhere = %d", code)
	}

	// The stream keeps one message per subject: each must be handled before the next replaces it.
	for _, m := range []struct {
		version int64
		data    []byte
		series  string
	}{
		{2, encode(t, snapshot(1, 2)), `halyard_snapshot_version{environment="1"}`},
		{3, []byte("not msgpack\xc1"), `halyard_snapshots_rejected_total{reason="decode"}`},
		{1, encode(t, snapshot(1, 1)), `halyard_snapshots_rejected_total{reason="older"}`},
		{9, encode(t, snapshot(5, 9)), `halyard_snapshots_rejected_total{reason="wrong_environment"}`},
	} {
		before := scrape(t, ev)[m.series]
		publish(t, js, 1, m.version, m.data)
		waitFor(t, m.series+" to move", func() error {
			if got := scrape(t, ev)[m.series]; got == before {
				return fmt.Errorf("still %v", got)
			}
			return nil
		})
	}

	after := scrape(t, ev)
	want := map[string]float64{
		`halyard_snapshot_version{environment="1"}`:                                                     2,
		`halyard_snapshots_applied_total`:                                                               2,
		`halyard_snapshot_apply_duration_seconds_count`:                                                 2,
		`halyard_snapshots_rejected_total{reason="decode"}`:                                             1,
		`halyard_snapshots_rejected_total{reason="older"}`:                                              1,
		`halyard_snapshots_rejected_total{reason="wrong_environment"}`:                                  1,
		`halyard_replication_lag_seconds_count{stage="commit_to_apply"}`:                                1,
		`halyard_replication_lag_seconds_count{stage="publish_to_apply"}`:                               1,
		`halyard_http_requests_total{method="POST",route="/flags",status="200"}`:                        1,
		`halyard_http_requests_total{method="POST",route="/ofrep/v1/evaluate/flags/:key",status="200"}`: 1,
		`halyard_http_requests_total{method="POST",route="/ofrep/v1/evaluate/flags",status="200"}`:      1,
		`halyard_http_requests_total{method="GET",route="unmatched",status="404"}`:                      1,
		`halyard_http_request_duration_seconds_count{method="POST",route="/flags"}`:                     1,
		`halyard_evaluations_total{route="flags"}`:                                                      1,
		`halyard_evaluations_total{route="ofrep_single"}`:                                               1,
		`halyard_evaluations_total{route="ofrep_bulk"}`:                                                 1,
		`halyard_environments`:            1,
		`halyard_http_requests_in_flight`: 0,
	}
	got := map[string]float64{}
	for name := range want {
		got[name] = after[name]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after the requests and snapshots, mismatch (-want +got):\n%s", diff)
	}
	limited, decided := after[`halyard_rate_limited_requests_total{route="decide"}`], after[`halyard_http_requests_total{method="POST",route="/decide",status="429"}`]
	if limited < 1 || limited != decided {
		t.Errorf("rate limited /decide: %v counted, %v answered 429; want the same, at least 1", limited, decided)
	}
	for name := range after {
		if strings.Contains(name, "sdk-1") || strings.Contains(name, "srv-1") {
			t.Errorf("a key in a metric: %s", name)
		}
	}
}
