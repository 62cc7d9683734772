package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/devkit/admin"
)

// TestTraceFromAdminRequestToEveryApply: with OTLP export on (to a receiver in the test), a change made
// through the admin API under the caller's traceparent is one trace across the binaries: the writer's
// request span under the caller's span, the commit span under it, the publish span under the commit, and
// under the publish an apply span from each of the two evaluators.
func TestTraceFromAdminRequestToEveryApply(t *testing.T) {
	rcv := startOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL()) // the binaries inherit the test's environment
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")          // export within 50 ms rather than 5 s
	c := startCluster(t, 2)
	cl, env := newEnvironment(t, c)
	// The environment's first snapshot is applied everywhere before the change: the change's snapshot then
	// publishes it alone, so its commit span is the publish span's parent (not a link).
	for _, ev := range c.Evaluators {
		checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
			_, err := tryFlags(ev, env.SDKKey, "user-1", nil)
			return err
		})
	}

	traceID, caller := randomHex(t, 16), randomHex(t, 8)
	resp, err := cl.Request(context.Background(), http.MethodPost, admin.FlagsPath(env.ID),
		map[string]any{"key": "traced", "active": true}, map[string]string{"traceparent": "00-" + traceID + "-" + caller + "-01"})
	if err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("create flag: %v %+v", err, resp)
	}
	version := resp.Header.Get("Halyard-Environment-Version")

	var tr tracedChange
	checkFor(t, 30*time.Second, 50*time.Millisecond, func() (err error) {
		tr, err = findTrace(rcv.trace(traceID), caller)
		return err
	})
	checkSpan(t, tr.request, "halyard-writer", "POST /api/v1/environments/:env_id/flags", map[string]string{
		"http.route": "/api/v1/environments/:env_id/flags", "http.response.status_code": "201",
		"halyard.request_id": resp.Header.Get("X-Request-Id"), "halyard.actor": "bootstrap"})
	want := map[string]string{"halyard.environment.id": fmt.Sprint(env.ID), "halyard.environment.version": version}
	checkSpan(t, tr.commit, "halyard-writer", "commit", want)
	checkSpan(t, tr.publish, "halyard-writer", "publish snapshot", with(want, "halyard.outcome", "published"))
	for _, apply := range tr.applies {
		checkSpan(t, apply, "halyard-evaluator", "apply snapshot", with(want, "halyard.outcome", "applied"))
	}
}

// tracedChange is one change's spans, each the child of the one before.
type tracedChange struct {
	request, commit, publish receivedSpan
	applies                  []receivedSpan // one per evaluator
}

// findTrace finds, among one trace's spans, the writer's request span under the caller's span and the chain
// below it, and fails until both evaluators' apply spans are there (a redelivery's rejected apply aside).
func findTrace(spans []receivedSpan, caller string) (tracedChange, error) {
	var tr tracedChange
	var err error
	if tr.request, err = onlyChild(spans, caller, ""); err != nil {
		return tr, err
	}
	if tr.commit, err = onlyChild(spans, tr.request.SpanID, "commit"); err != nil {
		return tr, err
	}
	// A publication that failed and was retried leaves a failed publish span too: the one that published.
	var published []receivedSpan
	for _, s := range spans {
		if s.ParentID == tr.commit.SpanID && s.Name == "publish snapshot" && s.Attrs["halyard.outcome"] == "published" {
			published = append(published, s)
		}
	}
	if len(published) != 1 {
		return tr, fmt.Errorf("%d publish spans that published under the commit span, want 1", len(published))
	}
	tr.publish = published[0]
	instances := map[string]bool{}
	for _, s := range spans {
		if s.ParentID == tr.publish.SpanID && s.Name == "apply snapshot" && s.Attrs["halyard.outcome"] == "applied" {
			tr.applies = append(tr.applies, s)
			instances[s.Instance] = true
		}
	}
	if len(tr.applies) != 2 || len(instances) != 2 {
		return tr, fmt.Errorf("%d apply spans under the publish span from %d evaluators, want one from each of 2", len(tr.applies), len(instances))
	}
	return tr, nil
}

// onlyChild returns the one span whose parent is parent and named name ("" for any name).
func onlyChild(spans []receivedSpan, parent, name string) (receivedSpan, error) {
	var found []receivedSpan
	for _, s := range spans {
		if s.ParentID == parent && (s.Name == name || name == "") {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		return receivedSpan{}, fmt.Errorf("%d %q spans under %s, want 1 (trace so far: %d spans)", len(found), name, parent, len(spans))
	}
	return found[0], nil
}

// checkSpan checks a span's service, name, and the attributes in want.
func checkSpan(tb testing.TB, s receivedSpan, service, name string, want map[string]string) {
	tb.Helper()
	got := map[string]string{}
	for k := range want {
		got[k] = s.Attrs[k]
	}
	if s.Service != service || s.Name != name {
		tb.Errorf("span %s of %s, want %s of %s", s.Name, s.Service, name, service)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		tb.Errorf("%s span attributes mismatch (-want +got):\n%s", name, diff)
	}
}

// with is m and one more attribute.
func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}
