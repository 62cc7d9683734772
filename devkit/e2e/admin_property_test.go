package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestAdminPropertyTwoWriters: random sequences of creates, patches, toggles, deletes and restores, sent
// concurrently to two writer instances, always end with the snapshot on the stream and the evaluator's answers
// equal to the database state.
func TestAdminPropertyTwoWriters(t *testing.T) {
	c := startCluster(t, 1)
	addr, err := cluster.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	w2 := c.NewWriter(addr)
	if err := w2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w2.Stop(10 * time.Second) })
	if err := w2.WaitReady(t.Context(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	writers := []*admin.Client{admin.New(c.Writer.URL(), c.Opts.AdminToken), admin.New(w2.URL(), c.Opts.AdminToken)}
	nc, err := nats.Connect(c.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}

	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed-", seed), func(t *testing.T) {
			env := newEnv(t, writers[0], fmt.Sprint("property-", seed))
			var (
				wg      sync.WaitGroup
				applied atomic.Int64
			)
			for worker := range 2 {
				rng := rand.New(rand.NewPCG(seed, uint64(worker)))
				wg.Go(func() { applied.Add(randomOps(t, rng, writers, env.ID, 40)) })
			}
			wg.Wait()
			if applied.Load() < 20 {
				t.Fatalf("only %d of 80 operations changed anything: the test exercises too little", applied.Load())
			}
			checkFor(t, 15*time.Second, 10*time.Millisecond, func() error {
				return sameState(t.Context(), c, js, writers[1], env)
			})
		})
	}
}

// randomOps sends n random flag operations to random writers; every answer must be one the operation can
// legitimately give in some order of events (a 404 for a flag another worker deleted, a 409 for a key it
// created, 412 for a stale If-Match).
// It returns how many operations changed something.
func randomOps(t *testing.T, rng *rand.Rand, writers []*admin.Client, envID int64, n int) (applied int64) {
	flags := envPath(envID, "/flags")
	for range n {
		cl := writers[rng.IntN(len(writers))]
		key := fmt.Sprint("k", rng.IntN(5))
		var (
			method, path = http.MethodPatch, flags + "/" + key
			body         any
			headers      map[string]string
		)
		switch op := rng.IntN(6); op {
		case 0:
			method, path = http.MethodPost, flags
			body = map[string]any{"key": key, "active": rng.IntN(2) == 0, "filters": rollout(rng)}
		case 1:
			body = map[string]any{"filters": rollout(rng), "name": fmt.Sprint("n", rng.IntN(100))}
		case 2:
			body = map[string]any{"active": rng.IntN(2) == 0}
			headers = map[string]string{"If-Match": strconv.Quote(strconv.Itoa(1 + rng.IntN(3)))}
		case 3:
			method, path = http.MethodPost, flags+"/"+key+"/toggle"
		case 4:
			method = http.MethodDelete
		case 5:
			method, path = http.MethodPost, flags+"/"+key+"/restore"
		}
		r, err := cl.Request(context.Background(), method, path, body, headers)
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return applied
		}
		switch r.Status {
		case http.StatusOK, http.StatusCreated, http.StatusNoContent:
			applied++
		case http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed:
		default:
			t.Errorf("%s %s: unexpected %d %s", method, path, r.Status, r.Body)
		}
	}
	return applied
}

func rollout(rng *rand.Rand) map[string]any {
	return map[string]any{"groups": []any{map[string]any{"properties": []any{}, "rollout_percentage": []int{0, 100}[rng.IntN(2)]}}}
}

// sameState compares the database (through the writer's API), the last snapshot of the environment on the
// stream, and the evaluator's answers.
func sameState(ctx context.Context, c *cluster.Cluster, js jetstream.JetStream, cl *admin.Client, env admin.Environment) error {
	r, err := cl.Request(ctx, http.MethodGet, envPath(env.ID, "/flags?limit=1000"), nil, nil)
	if err != nil {
		return err
	}
	var db struct {
		Flags []struct {
			ID      int64           `json:"id"`
			Key     string          `json:"key"`
			Version int64           `json:"version"`
			Active  bool            `json:"active"`
			Filters json.RawMessage `json:"filters"`
		} `json:"flags"`
		EnvironmentVersion int64 `json:"environment_version"`
	}
	if err := r.JSON(&db); err != nil {
		return err
	}
	st, err := js.Stream(ctx, "HALYARD_SNAPSHOTS")
	if err != nil {
		return err
	}
	msg, err := st.GetLastMsgForSubject(ctx, fmt.Sprintf("halyard.snapshot.%d", env.ID))
	if err != nil {
		return err
	}
	snap, err := wire.Decode(msg.Data)
	if err != nil {
		return err
	}
	if snap.Version != db.EnvironmentVersion || len(snap.Flags) != len(db.Flags) {
		return fmt.Errorf("snapshot v%d with %d flags, database v%d with %d", snap.Version, len(snap.Flags), db.EnvironmentVersion, len(db.Flags))
	}
	answer, _, err := admin.Flags(ctx, httpClient, c.Evaluators[0].URL(), env.SDKKey, "someone", nil)
	if err != nil {
		return err
	}
	active := 0
	for _, f := range db.Flags {
		if f.Active {
			active++
		}
	}
	if len(answer.Flags) != active { // evaluators leave inactive flags out
		return fmt.Errorf("evaluator answers %d flags, database has %d active", len(answer.Flags), active)
	}
	for i, f := range db.Flags {
		s := snap.Flags[i]
		sf, _ := json.Marshal(s.Filters)
		var a, b any
		_ = json.Unmarshal(sf, &a)
		_ = json.Unmarshal(f.Filters, &b)
		if s.Key != f.Key || s.ID != f.ID || s.Version != f.Version || s.Active != f.Active || fmt.Sprint(a) != fmt.Sprint(b) {
			return fmt.Errorf("snapshot flag %+v, database %s v%d active %v %s", s, f.Key, f.Version, f.Active, f.Filters)
		}
		ev, served := answer.Flags[f.Key]
		if served != f.Active {
			return fmt.Errorf("evaluator serves %s: %v, database active: %v", f.Key, served, f.Active)
		}
		if !served {
			continue
		}
		rolledOut := len(s.Filters.Groups) == 1 && s.Filters.Groups[0].RolloutPercentage != nil && *s.Filters.Groups[0].RolloutPercentage == 100
		if ev.Metadata.ID != f.ID || ev.Metadata.Version != f.Version || ev.Enabled != (f.Active && rolledOut) {
			return fmt.Errorf("evaluator %s = %+v, database id %d v%d active %v", f.Key, ev, f.ID, f.Version, f.Active)
		}
	}
	return nil
}
