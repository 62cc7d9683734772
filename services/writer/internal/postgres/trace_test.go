package postgres

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/admin"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/halyard-flags/halyard/shared/wire"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// recordSpans installs an in-process span recorder as the global tracer provider, and the W3C propagator,
// as tracing.Setup does with an exporter; both are reset when the test ends.
func recordSpans(tb testing.TB) *tracetest.SpanRecorder {
	tb.Helper()
	sr := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tb.Cleanup(tracing.Reset)
	return sr
}

// request is a context under a span of its own, standing for an admin request's.
func request(name string) (context.Context, trace.SpanContext) {
	ctx, span := otel.Tracer("test").Start(context.Background(), name)
	return ctx, span.SpanContext()
}

// childOf returns the one ended span named name whose parent is parent.
func childOf(tb testing.TB, sr *tracetest.SpanRecorder, name string, parent trace.SpanContext) sdktrace.ReadOnlySpan {
	tb.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.Name() == name && s.Parent().SpanID() == parent.SpanID() && s.Parent().TraceID() == parent.TraceID() {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("%d %q spans under %s, want 1", len(found), name, parent.SpanID())
	}
	return found[0]
}

// carrier is the W3C carrier of a sampled span.
func carrier(sc trace.SpanContext) map[string]string {
	return map[string]string{"traceparent": fmt.Sprintf("00-%s-%s-01", sc.TraceID(), sc.SpanID())}
}

// outboxTraces reads the trace_context of the environment's outbox row of version (nil when NULL).
func outboxTraces(tb testing.TB, db *DB, envID, version int64) []map[string]string {
	tb.Helper()
	var got []map[string]string
	if err := db.Pool.QueryRow(context.Background(), `SELECT trace_context FROM outbox
		WHERE environment_id = $1 AND environment_version = $2`, envID, version).Scan(&got); err != nil {
		tb.Fatal(err)
	}
	return got
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// TestChangesCarryTraceContext: each kind of change (a new environment, a change under the environment's
// lock, an optimistic edit) runs in a commit span under the request's span, and its outbox row stores that
// span's trace context; the publisher is handed every pending change's context, oldest first.
func TestChangesCarryTraceContext(t *testing.T) {
	db := openTestDB(t, freshDatabase(t))
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sr := recordSpans(t)
	actor := admin.Actor{Name: "test"}
	p, err := db.CreateProject(ctx, actor, "traced")
	if err != nil {
		t.Fatal(err)
	}
	var env admin.Environment
	changes := []struct {
		op     string
		change func(ctx context.Context) (int64, error)
	}{
		{"postgres.CreateEnvironment", func(ctx context.Context) (int64, error) {
			env, err = db.CreateEnvironment(ctx, p.ID, "test", actor)
			return env.Version, err
		}},
		{"postgres.CreateFlag", func(ctx context.Context) (int64, error) {
			_, v, err := db.CreateFlag(ctx, env.ID, actor, admin.FlagSpec{Flag: flag.Flag{Key: "f", Active: true}})
			return v, err
		}},
		{"postgres.UpdateFlag", func(ctx context.Context) (int64, error) {
			_, v, err := db.UpdateFlag(ctx, env.ID, actor, "f", "flag.update", func(cur admin.FlagRecord) (admin.FlagSpec, error) {
				cur.Name = "renamed"
				return cur.FlagSpec, nil
			})
			return v, err
		}},
	}
	var want []map[string]string
	for _, c := range changes {
		rctx, req := request(c.op)
		version, err := c.change(rctx)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		commit := childOf(t, sr, "commit", req)
		wantAttrs := map[string]string{"db.system.name": "postgresql", "halyard.operation": c.op,
			"halyard.environment.id": fmt.Sprint(env.ID), "halyard.environment.version": fmt.Sprint(version)}
		if c.op == "postgres.UpdateFlag" {
			wantAttrs["halyard.group_size"] = "1"
		}
		if diff := cmp.Diff(wantAttrs, attrs(commit)); diff != "" {
			t.Errorf("%s: commit span attributes mismatch (-want +got):\n%s", c.op, diff)
		}
		stored := []map[string]string{carrier(commit.SpanContext())}
		if diff := cmp.Diff(stored, outboxTraces(t, db, env.ID, version)); diff != "" {
			t.Errorf("%s: outbox trace_context mismatch (-want +got):\n%s", c.op, diff)
		}
		want = append(want, stored...)
	}

	var handed []map[string]string
	_, _, err = NewOutbox(db).Publish(ctx, "S", env.ID, func(snap *wire.Snapshot, traces []map[string]string, _ uint64, _ int64) (uint64, int64, error) {
		handed = traces
		return 1, snap.Version, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, handed); diff != "" {
		t.Errorf("traces handed to publish mismatch (-want +got):\n%s", diff)
	}
}

// TestGroupCommitTraceContexts: edits committed together share one outbox row, which stores the trace
// context of every edit's commit span, in the order they were committed; each span says how many edits
// its statement committed.
func TestGroupCommitTraceContexts(t *testing.T) {
	db := openTestDB(t, freshDatabase(t))
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	actor := admin.Actor{Name: "test"}
	p, err := db.CreateProject(ctx, actor, "group")
	if err != nil {
		t.Fatal(err)
	}
	env, err := db.CreateEnvironment(ctx, p.ID, "test", actor)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	for i := range n {
		if _, _, err := db.CreateFlag(ctx, env.ID, actor, admin.FlagSpec{Flag: flag.Flag{Key: fmt.Sprint("g", i), Active: true}}); err != nil {
			t.Fatal(err)
		}
	}
	sr := recordSpans(t)
	lock, err := db.Pool.Begin(ctx) // the first edit's statement waits on it; the others queue behind
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck // released below; this is for a failed test
	if _, err := lock.Exec(ctx, `SELECT 1 FROM environments WHERE id = $1 FOR UPDATE`, env.ID); err != nil {
		t.Fatal(err)
	}
	reqs := make([]trace.SpanContext, n)
	versions := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		var rctx context.Context
		rctx, reqs[i] = request(fmt.Sprint("edit ", i))
		wg.Go(func() {
			var err error
			_, versions[i], err = db.UpdateFlag(rctx, env.ID, actor, fmt.Sprint("g", i), "flag.update",
				func(cur admin.FlagRecord) (admin.FlagSpec, error) { cur.Name = "edited"; return cur.FlagSpec, nil })
			if err != nil {
				t.Error(err)
			}
		})
	}
	waitSubmitted(t, db, n)
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	want := map[int64][]string{} // version → the traceparents of the edits answered with it
	commits := make([]sdktrace.ReadOnlySpan, n)
	for i, req := range reqs {
		commits[i] = childOf(t, sr, "commit", req)
		want[versions[i]] = append(want[versions[i]], carrier(commits[i].SpanContext())["traceparent"])
	}
	for i, commit := range commits {
		if got, wantSize := attrs(commit)[attrGroupSize], fmt.Sprint(len(want[versions[i]])); got != wantSize {
			t.Errorf("edit %d: %s = %q, want %s", i, attrGroupSize, got, wantSize)
		}
	}
	if len(want) == n {
		t.Fatalf("%d edits took %d versions: nothing was committed together", n, len(want))
	}
	for version, parents := range want {
		var got []string
		for _, c := range outboxTraces(t, db, env.ID, version) {
			got = append(got, c["traceparent"])
		}
		sort.Strings(got)
		sort.Strings(parents)
		if diff := cmp.Diff(parents, got); diff != "" {
			t.Errorf("v%d: outbox trace_context mismatch (-want +got):\n%s", version, diff)
		}
	}
}

// TestUntracedChangeStoresNone: with tracing off, an outbox row's trace_context is NULL, and the publisher
// is handed no trace context.
func TestUntracedChangeStoresNone(t *testing.T) {
	db := openTestDB(t, freshDatabase(t))
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tracing.Reset()
	actor := admin.Actor{Name: "test"}
	p, err := db.CreateProject(ctx, actor, "untraced")
	if err != nil {
		t.Fatal(err)
	}
	env, err := db.CreateEnvironment(ctx, p.ID, "test", actor)
	if err != nil {
		t.Fatal(err)
	}
	_, version, err := db.CreateFlag(ctx, env.ID, actor, admin.FlagSpec{Flag: flag.Flag{Key: "f", Active: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := outboxTraces(t, db, env.ID, version); got != nil {
		t.Errorf("trace_context = %v, want NULL", got)
	}
	_, _, err = NewOutbox(db).Publish(ctx, "S", env.ID, func(snap *wire.Snapshot, traces []map[string]string, _ uint64, _ int64) (uint64, int64, error) {
		if len(traces) != 0 {
			t.Errorf("traces handed to publish = %v, want none", traces)
		}
		return 1, snap.Version, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
