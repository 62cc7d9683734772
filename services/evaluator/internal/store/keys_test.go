package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/wire"
)

// lookups is what each credential resolves to: "<environment>v<version>", or "-" when it does not.
func lookups(s *Store, sdkKeys, serverKeys []string) map[string]string {
	got := map[string]string{}
	res := func(e *Env, ok bool) string {
		if !ok {
			return "-"
		}
		return fmt.Sprintf("%dv%d", e.ID, e.Version)
	}
	for _, k := range sdkKeys {
		got["sdk "+k] = res(s.BySDKKey(k))
	}
	for _, k := range serverKeys {
		got["server "+k] = res(s.ByServerKey(k))
	}
	return got
}

func TestKeysFollowTheSnapshot(t *testing.T) {
	const start = 1_000_000
	sdkKeys := []string{"phc_a", "phc_b", "phc_c", sha("phs_a")}
	serverKeys := []string{"phs_a", "phs_b", "phc_a"}
	type step struct {
		snap  *wire.Snapshot
		at    int64             // milliseconds after start
		check map[string]string // only the lookups listed; the rest must be "-"
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"kinds stay apart", []step{
			{snapshot(1, 1, []wire.Key{sdk("phc_a"), server("phs_a")}), 0, map[string]string{"sdk phc_a": "1v1", "server phs_a": "1v1"}},
		}},
		{"a new version moves every key to it", []step{
			{snapshot(1, 1, []wire.Key{sdk("phc_a"), server("phs_a")}), 0, map[string]string{"sdk phc_a": "1v1", "server phs_a": "1v1"}},
			{snapshot(1, 2, []wire.Key{sdk("phc_a"), server("phs_a")}), 0, map[string]string{"sdk phc_a": "1v2", "server phs_a": "1v2"}},
		}},
		{"rotation with grace keeps the old key until its expiry", []step{
			{snapshot(1, 1, []wire.Key{sdk("phc_a")}), 0, map[string]string{"sdk phc_a": "1v1"}},
			{snapshot(1, 2, []wire.Key{{Kind: wire.KindSDK, Value: "phc_a", ExpiresAt: start + 1000}, sdk("phc_b")}), 999,
				map[string]string{"sdk phc_a": "1v2", "sdk phc_b": "1v2"}},
			{nil, 1000, map[string]string{"sdk phc_b": "1v2"}},
			{snapshot(1, 3, []wire.Key{{Kind: wire.KindSDK, Value: "phc_a", ExpiresAt: start + 1000}, sdk("phc_b"), server("phs_b")}), 500,
				map[string]string{"sdk phc_a": "1v3", "sdk phc_b": "1v3", "server phs_b": "1v3"}},
			{nil, 5000, map[string]string{"sdk phc_b": "1v3", "server phs_b": "1v3"}},
		}},
		{"rotation without grace drops the old key", []step{
			{snapshot(1, 1, []wire.Key{sdk("phc_a"), server("phs_a")}), 0, map[string]string{"sdk phc_a": "1v1", "server phs_a": "1v1"}},
			{snapshot(1, 2, []wire.Key{sdk("phc_b"), server("phs_b")}), 0, map[string]string{"sdk phc_b": "1v2", "server phs_b": "1v2"}},
		}},
		{"another environment's keys stay", []step{
			{snapshot(1, 1, []wire.Key{sdk("phc_a")}), 0, map[string]string{"sdk phc_a": "1v1"}},
			{snapshot(2, 1, []wire.Key{sdk("phc_b")}), 0, map[string]string{"sdk phc_a": "1v1", "sdk phc_b": "2v1"}},
			{snapshot(1, 2, []wire.Key{sdk("phc_c")}), 0, map[string]string{"sdk phc_c": "1v2", "sdk phc_b": "2v1"}},
		}},
		{"a key moved to another environment resolves there", []step{
			{snapshot(1, 1, []wire.Key{sdk("phc_a"), sdk("phc_b")}), 0, map[string]string{"sdk phc_a": "1v1", "sdk phc_b": "1v1"}},
			{snapshot(2, 1, []wire.Key{sdk("phc_a")}), 0, map[string]string{"sdk phc_a": "2v1", "sdk phc_b": "1v1"}},
			// Its old environment dropping it later does not take it from the new one.
			{snapshot(1, 2, []wire.Key{sdk("phc_b")}), 0, map[string]string{"sdk phc_a": "2v1", "sdk phc_b": "1v2"}},
			{snapshot(2, 2, []wire.Key{sdk("phc_c")}), 0, map[string]string{"sdk phc_c": "2v2", "sdk phc_b": "1v2"}},
		}},
		{"a key moved keeps its expiry", []step{
			{snapshot(1, 1, []wire.Key{sdk("phc_a")}), 0, map[string]string{"sdk phc_a": "1v1"}},
			{snapshot(2, 1, []wire.Key{{Kind: wire.KindSDK, Value: "phc_a", ExpiresAt: start + 10}}), 9, map[string]string{"sdk phc_a": "2v1"}},
			{snapshot(1, 2, nil), 9, map[string]string{"sdk phc_a": "2v1"}},
			{nil, 10, map[string]string{}},
		}},
		{"a refused snapshot changes no key", []step{
			{snapshot(1, 2, []wire.Key{sdk("phc_a")}), 0, map[string]string{"sdk phc_a": "1v2"}},
			{snapshot(1, 1, []wire.Key{sdk("phc_b")}), 0, map[string]string{"sdk phc_a": "1v2"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			now := time.UnixMilli(start)
			s.now = func() time.Time { return now }
			for i, st := range tt.steps {
				now = time.UnixMilli(start + st.at)
				if st.snap != nil {
					s.Apply(st.snap)
				}
				want := map[string]string{}
				for _, k := range sdkKeys {
					want["sdk "+k] = "-"
				}
				for _, k := range serverKeys {
					want["server "+k] = "-"
				}
				for k, v := range st.check {
					want[k] = v
				}
				if diff := cmp.Diff(want, lookups(s, sdkKeys, serverKeys)); diff != "" {
					t.Errorf("step %d: lookups mismatch (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}
