package store

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTableMatchesMap: any sequence of stores and deletes leaves the table holding what a Go map holds, and
// counting its entries right.
func TestTableMatchesMap(t *testing.T) {
	for _, keys := range []int{3, 20, 1000} {
		tb := newTable[int64, int]()
		model := map[int64]int{}
		rng := rand.New(rand.NewPCG(1, uint64(keys)))
		for i := range 20 * keys {
			k := rng.Int64N(int64(keys))
			if rng.IntN(3) == 0 {
				tb.delete(k)
				delete(model, k)
			} else {
				tb.store(k, i)
				model[k] = i
			}
		}
		got := map[int64]int{}
		tb.all(func(k int64, v int) { got[k] = v })
		if diff := cmp.Diff(model, got); diff != "" {
			t.Errorf("%d keys: entries mismatch (-want +got):\n%s", keys, diff)
		}
		if tb.size() != len(model) {
			t.Errorf("%d keys: size %d, want %d", keys, tb.size(), len(model))
		}
		for k := range int64(keys) {
			v, ok := tb.load(k)
			if want, wantOK := model[k]; v != want || ok != wantOK {
				t.Errorf("%d keys: load(%d) = %d, %v; want %d, %v", keys, k, v, ok, want, wantOK)
			}
		}
	}
}

func BenchmarkTableLoad(b *testing.B) {
	for _, n := range []int{100, 60_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			tb := newTable[string, credential]()
			keys := make([]string, n)
			for i := range keys {
				keys[i] = "phc_" + strconv.Itoa(i*7919) + "abcdefghijklmnopqrstuvwxyz0123"
				tb.store(keys[i], credential{kind: "sdk"})
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if c, ok := tb.load(keys[i%n]); !ok || c.kind != "sdk" {
					b.Fatal("not found")
				}
				i += 7
			}
		})
	}
}
