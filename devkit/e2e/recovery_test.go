package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
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
	seqBefore := streamLastSeq(t, c)

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
	if got := streamLastSeq(t, c); got != seqBefore+1 {
		t.Fatalf("stream sequence went from %d to %d: want exactly one snapshot for the change", seqBefore, got)
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

func streamLastSeq(tb testing.TB, c *cluster.Cluster) uint64 {
	tb.Helper()
	js, closeNC := jetStream(tb, c)
	defer closeNC()
	st, err := js.Stream(context.Background(), "HALYARD_SNAPSHOTS")
	if err != nil {
		tb.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return info.State.LastSeq
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
