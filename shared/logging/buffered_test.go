package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// syncBuffer is a bytes.Buffer safe for the flusher goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBuffered: a buffered logger writes nothing until Sync (or its interval), then every entry, unsampled,
// in the format asked for, without the caller.
func TestBuffered(t *testing.T) {
	for _, format := range []string{"json", "console"} {
		t.Run(format, func(t *testing.T) {
			var out syncBuffer
			log, err := New(format, "info", Buffered(time.Hour), Output(&out))
			if err != nil {
				t.Fatal(err)
			}
			const n = 300 // production sampling keeps the first 100 equal messages of a second
			for range n {
				log.Info("request")
			}
			log.Debug("below the level")
			if got := out.String(); got != "" {
				t.Fatalf("wrote before Sync: %q", got)
			}
			_ = log.Sync()
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != n {
				t.Fatalf("%d lines after Sync, want %d", len(lines), n)
			}
			if strings.Contains(lines[0], "buffered_test.go") {
				t.Errorf("line carries the caller: %s", lines[0])
			}
			if format == "json" {
				var entry map[string]any
				if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
					t.Fatal(err)
				}
				got := map[string]any{"level": entry["level"], "msg": entry["msg"], "has ts": entry["ts"] != nil}
				want := map[string]any{"level": "info", "msg": "request", "has ts": true}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("entry mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestBufferedFlushesOnItsOwn: without Sync, the interval flushes.
func TestBufferedFlushesOnItsOwn(t *testing.T) {
	var out syncBuffer
	log, err := New("json", "info", Buffered(10*time.Millisecond), Output(&out))
	if err != nil {
		t.Fatal(err)
	}
	log.Info("request")
	deadline := time.Now().Add(5 * time.Second)
	for out.String() == "" {
		if time.Now().After(deadline) {
			t.Fatal("nothing flushed 5s after the entry")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOutputNeedsBuffered: Output is refused without Buffered.
func TestOutputNeedsBuffered(t *testing.T) {
	if _, err := New("json", "info", Output(&syncBuffer{})); err == nil {
		t.Error("New accepted Output without Buffered")
	}
}
