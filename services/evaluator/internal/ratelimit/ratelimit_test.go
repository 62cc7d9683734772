package ratelimit

import (
	"testing"
	"time"
)

func TestPerKeyBurstThenRate(t *testing.T) {
	l := New(10, 3) // 10/s, bursts of 3
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("phc_a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, after := l.Allow("phc_a")
	if ok || after <= 0 || after > 100*time.Millisecond {
		t.Fatalf("4th request: ok=%v retryAfter=%v; want refused with ≤ 100ms", ok, after)
	}
	if ok, _ := l.Allow("phc_b"); !ok {
		t.Fatal("another key was limited by the first key's traffic")
	}
	now = now.Add(100 * time.Millisecond)
	if ok, _ := l.Allow("phc_a"); !ok {
		t.Fatal("a token did not come back after 1/rate")
	}
	if ok, _ := l.Allow("phc_a"); ok {
		t.Fatal("two tokens came back after 1/rate")
	}
}

func TestPerKeyForgetsIdleKeys(t *testing.T) {
	l := New(1, 1)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	old := func(i int) string { return "old-" + string(rune('a'+i%26)) + string(rune(i)) }
	for i := range 1000 {
		l.Allow(old(i))
	}
	now = now.Add(10 * time.Minute)
	for i := range 1000 { // new traffic reaches every shard, which sweeps it
		l.Allow("new-" + old(i))
	}
	for i := range 1000 {
		for j := range l.shard {
			if _, ok := l.shard[j].buckets[old(i)]; ok {
				t.Fatalf("idle key %q still held in shard %d", old(i), j)
			}
		}
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(1e9, 1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow("phc_benchmark_key")
		}
	})
}
