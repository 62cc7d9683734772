package bench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// sampleWaits samples pg_stat_activity of the cluster's database every 20 ms until ctx ends and returns how
// often the writer's sessions were seen in each state: running, or waiting on a lock, on WAL flush, on the
// client... It shows whether writes queue on a lock (serialized) or on the disk.
func sampleWaits(ctx context.Context, dbURL string) (func() string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	total := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer conn.Close(context.Background())
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rows, err := conn.Query(ctx, `SELECT state, coalesce(wait_event_type, ''), coalesce(wait_event, '')
				FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`)
			if err != nil {
				return
			}
			for rows.Next() {
				var state, typ, ev string
				if rows.Scan(&state, &typ, &ev) == nil {
					key := state
					if typ != "" {
						key += " / " + typ + ":" + ev
					}
					counts[key]++
					total++
				}
			}
			rows.Close()
		}
	}()
	return func() string {
		<-done
		type kv struct {
			k string
			n int
		}
		var list []kv
		for k, n := range counts {
			list = append(list, kv{k, n})
		}
		sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n })
		var b strings.Builder
		fmt.Fprintf(&b, "-- PostgreSQL sessions of the writer, sampled every 20 ms (state / wait event), %d samples --\n", total)
		for i, e := range list {
			if i == 10 {
				break
			}
			fmt.Fprintf(&b, "%6.1f%%  %s\n", 100*float64(e.n)/float64(max(total, 1)), e.k)
		}
		return b.String()
	}, nil
}
