package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// latest reads sub until it has seen every environment of want at its version (or a newer one), and returns
// the latest version it saw of each. It gives up after a deadline. (It runs in subscriber goroutines, so it
// returns errors rather than failing the test.)
func latest(sub *Subscription, want map[int64]int64) (map[int64]int64, error) {
	got := map[int64]int64{}
	deadline := time.After(10 * time.Second)
	var changes []Change
	for !covers(got, want) {
		select {
		case _, ok := <-sub.Ready():
			if !ok {
				return got, errors.New("subscription closed")
			}
		case <-deadline:
			return got, fmt.Errorf("after 10s the subscriber saw %v, want %v", got, want)
		}
		changes = sub.Take(changes[:0])
		for _, c := range changes {
			if c.Version <= got[c.EnvironmentID] {
				return got, fmt.Errorf("environment %d went from v%d to v%d", c.EnvironmentID, got[c.EnvironmentID], c.Version)
			}
			got[c.EnvironmentID] = c.Version
		}
	}
	return got, nil
}

func covers(got, want map[int64]int64) bool {
	for id, v := range want {
		if got[id] < v {
			return false
		}
	}
	return true
}

func TestSubscriptionCoalesces(t *testing.T) {
	tests := []struct {
		name    string
		envs    []int64 // subscribed to; nil for all
		applies [][2]int64
		want    []Change
	}{
		{"nothing applied", nil, nil, nil},
		{"one change", nil, [][2]int64{{1, 1}}, []Change{{1, 1}}},
		{"latest version only", nil, [][2]int64{{1, 1}, {1, 2}, {1, 5}}, []Change{{1, 5}}},
		{"refused versions are not changes", nil, [][2]int64{{1, 3}, {1, 2}, {1, 3}}, []Change{{1, 3}}},
		{"in the order environments first changed", nil, [][2]int64{{2, 1}, {1, 1}, {2, 2}, {3, 1}},
			[]Change{{2, 2}, {1, 1}, {3, 1}}},
		{"only the environments subscribed to", []int64{1, 3}, [][2]int64{{2, 1}, {1, 1}, {2, 2}, {3, 1}, {1, 2}},
			[]Change{{1, 2}, {3, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			sub := s.Subscribe(tt.envs...)
			defer sub.Close()
			for _, a := range tt.applies {
				s.Apply(snapshot(a[0], a[1], nil))
			}
			if diff := cmp.Diff(tt.want, sub.Take(nil)); diff != "" {
				t.Errorf("changes mismatch (-want +got):\n%s", diff)
			}
			if got := sub.Take(nil); got != nil {
				t.Errorf("second Take = %v, want nothing", got)
			}
		})
	}
}

// TestSubscriptionSeesNothingFromBefore: a subscription starts empty; what was applied before is read
// from the store.
func TestSubscriptionSeesNothingFromBefore(t *testing.T) {
	s := New()
	s.Apply(snapshot(1, 1, nil))
	sub := s.Subscribe()
	defer sub.Close()
	select {
	case <-sub.Ready():
		t.Errorf("ready with %v before any apply", sub.Take(nil))
	default:
	}
	s.Apply(snapshot(1, 2, nil))
	<-sub.Ready()
	if diff := cmp.Diff([]Change{{1, 2}}, sub.Take(nil)); diff != "" {
		t.Errorf("changes mismatch (-want +got):\n%s", diff)
	}
}

// TestSlowSubscriberNeverBlocksApplies: a subscriber that reads nothing while thousands of versions are
// applied does not hold the applies up, and then finds each environment once, at its latest version.
func TestSlowSubscriberNeverBlocksApplies(t *testing.T) {
	const envs, versions = 20, 200
	s := New()
	slow := s.Subscribe()
	defer slow.Close()
	for v := int64(1); v <= versions; v++ {
		for env := int64(1); env <= envs; env++ {
			s.Apply(snapshot(env, v, nil))
		}
	}
	want := make([]Change, envs)
	for i := range want {
		want[i] = Change{EnvironmentID: int64(i + 1), Version: versions}
	}
	<-slow.Ready()
	if diff := cmp.Diff(want, slow.Take(nil)); diff != "" {
		t.Errorf("changes mismatch (-want +got):\n%s", diff)
	}
}

// TestManySubscribers: subscribers reading at their own pace, some following every environment and some
// one, while several writers apply concurrently, all end up at the latest version of what they follow.
// Run with -race.
func TestManySubscribers(t *testing.T) {
	const envs, versions, subscribers = 8, 100, 40
	s := New()
	want := map[int64]int64{}
	for env := int64(1); env <= envs; env++ {
		want[env] = versions
	}
	applied := make(chan struct{})
	var wg sync.WaitGroup
	for i := range subscribers {
		sub := s.Subscribe()
		follows := want
		if i%2 == 1 {
			env := int64(i%envs + 1)
			sub, follows = s.Subscribe(env), map[int64]int64{env: versions}
		}
		wg.Go(func() {
			defer sub.Close()
			if i%4 == 0 { // slow: reads nothing until every apply is done
				<-applied
			}
			got, err := latest(sub, follows)
			if err != nil {
				t.Errorf("subscriber %d: %v", i, err)
			} else if diff := cmp.Diff(follows, got); diff != "" {
				t.Errorf("subscriber %d: versions mismatch (-want +got):\n%s", i, diff)
			}
		})
	}
	var writers sync.WaitGroup
	for env := int64(1); env <= envs; env++ {
		writers.Go(func() {
			for v := int64(1); v <= versions; v++ {
				s.Apply(snapshot(env, v, nil))
			}
		})
	}
	writers.Wait()
	close(applied)
	wg.Wait()
}

// TestCloseReleasesEverything: a closed subscription is forgotten by the store, holds nothing, ends a
// range over Ready, and receives nothing more.
func TestCloseReleasesEverything(t *testing.T) {
	s := New()
	all, one := s.Subscribe(), s.Subscribe(7, 8)
	s.Apply(snapshot(7, 1, nil))
	ended := make(chan struct{})
	go func() {
		for range all.Ready() {
		}
		close(ended)
	}()
	all.Close()
	one.Close()
	one.Close() // twice is harmless
	<-ended
	s.Apply(snapshot(7, 2, nil))
	s.feed.mu.Lock()
	left := len(s.feed.all) + len(s.feed.byEnv)
	s.feed.mu.Unlock()
	if left != 0 {
		t.Errorf("the store still holds %d subscription sets", left)
	}
	for name, sub := range map[string]*Subscription{"all": all, "one": one} {
		if got := sub.Take(nil); got != nil || sub.pending != nil {
			t.Errorf("%s: Take after Close = %v, pending %v", name, got, sub.pending)
		}
	}
}
