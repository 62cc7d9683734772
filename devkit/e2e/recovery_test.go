package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRestartedEvaluatorIsReadyWithCurrentState: a new evaluator, started after the changes, is ready with
// the current state from JetStream alone (the writer is stopped, so nothing is republished for it).
func TestRestartedEvaluatorIsReadyWithCurrentState(t *testing.T) {
	c := startCluster(t, 1)
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	var version int64
	for i := range 5 {
		v, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag(fmt.Sprintf("flag-%d", i), "ada@example.com"), nil)
		if err != nil {
			t.Fatal(err)
		}
		version = v
	}
	waitPublished(t, c, env.ID, version)
	if err := c.Writer.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop writer: %v", err)
	}

	addr, _ := cluster.FreeAddr()
	ev := c.NewEvaluator(addr)
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	c.Evaluators = append(c.Evaluators, ev)
	if err := ev.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	r := flags(t, ev, env.SDKKey, "u", map[string]any{"email": "ada@example.com"})
	if len(r.Flags) != 5 {
		t.Fatalf("restarted evaluator answered %d flags right after ready, want 5: %+v", len(r.Flags), r.Flags)
	}
	for k, f := range r.Flags {
		if !f.Enabled {
			t.Errorf("%s disabled, want enabled", k)
		}
	}
}

// TestChangeCommittedDuringNATSOutageReachesEvaluatorsOnce: NATS goes down, a change commits, the writer is
// killed before it could publish; after NATS and a new writer are back, the change reaches the evaluator and
// the stream received exactly one snapshot for it.
func TestChangeCommittedDuringNATSOutageReachesEvaluatorsOnce(t *testing.T) {
	c := startCluster(t, 1)
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	v1, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("outage", "ada@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitPublished(t, c, env.ID, v1)

	c.NATS.Stop()
	patch := map[string]any{"active": false}
	v2, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "outage"), patch, nil)
	if err != nil {
		t.Fatalf("patch while NATS is down must still commit: %v", err)
	}
	if err := c.Writer.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := c.NATS.Restart(); err != nil {
		t.Fatal(err)
	}
	published := countPublished(t, c, env.ID)
	// The evaluator kept serving the old state through the outage.
	if r := flags(t, c.Evaluators[0], env.SDKKey, "u", map[string]any{"email": "ada@example.com"}); !r.Flags["outage"].Enabled {
		t.Fatalf("evaluator lost its state during the outage: %+v", r.Flags)
	}

	c.Writer = c.NewWriter(c.Writer.Addr)
	if err := c.Writer.Start(); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		r, err := tryFlags(c.Evaluators[0], env.SDKKey, "u", map[string]any{"email": "ada@example.com"})
		if err != nil {
			return err
		}
		if f, ok := r.Flags["outage"]; ok {
			return fmt.Errorf("after recovery the deactivated flag is still answered (PostHog leaves inactive flags out): %+v", f)
		}
		return nil
	})
	waitPublished(t, c, env.ID, v2)
	// Absence is the assertion: a second snapshot would come within a publish poll (1 s) or a reconcile.
	time.Sleep(2 * time.Second)
	if got := published(); len(got) != 1 || got[0] != v2 {
		t.Fatalf("snapshots published for the environment after the outage: versions %v, want exactly [%d]", got, v2)
	}
}

// countPublished follows the environment's snapshot subject from now on and returns a function listing the
// versions published on it since.
func countPublished(tb testing.TB, c *cluster.Cluster, envID int64) func() []int64 {
	tb.Helper()
	js, closeNC := jetStream(tb, c)
	tb.Cleanup(closeNC)
	ctx := context.Background()
	st, err := js.Stream(ctx, "HALYARD_SNAPSHOTS")
	if err != nil {
		tb.Fatal(err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"halyard.snapshot." + strconv.FormatInt(envID, 10)}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var versions []int64
	cc, err := cons.Consume(func(m jetstream.Msg) {
		v, _ := strconv.ParseInt(m.Headers().Get("Halyard-Version"), 10, 64)
		mu.Lock()
		versions = append(versions, v)
		mu.Unlock()
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cc.Stop)
	return func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return append([]int64(nil), versions...)
	}
}

func jetStream(tb testing.TB, c *cluster.Cluster) (jetstream.JetStream, func()) {
	tb.Helper()
	nc, err := nats.Connect(c.NATSURL)
	if err != nil {
		tb.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js, nc.Close
}

// waitPublished waits until the stream holds the environment's snapshot at version or later.
func waitPublished(tb testing.TB, c *cluster.Cluster, envID, version int64) {
	tb.Helper()
	js, closeNC := jetStream(tb, c)
	defer closeNC()
	checkFor(tb, 20*time.Second, 10*time.Millisecond, func() error {
		st, err := js.Stream(context.Background(), "HALYARD_SNAPSHOTS")
		if err != nil {
			return err
		}
		m, err := st.GetLastMsgForSubject(context.Background(), "halyard.snapshot."+strconv.FormatInt(envID, 10))
		if err != nil {
			return err
		}
		if v, _ := strconv.ParseInt(m.Header.Get("Halyard-Version"), 10, 64); v < version {
			return fmt.Errorf("stream has v%d, want v%d", v, version)
		}
		return nil
	})
}
