package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestOFREPStreamThroughTheBinaries: the OFREP bulk answer of a real evaluator advertises an event stream;
// a PATCH through the writer reaches it as a refetchEvaluation message within a second of the PATCH's
// answer, and the refetch with the event's etag answers the new value.
func TestOFREPStreamThroughTheBinaries(t *testing.T) {
	c := startCluster(t, 1)
	ev := c.Evaluators[0]
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	if _, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("live", "a@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	var requestURI string
	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		status, body, err := ofrepBulk(ev, env.SDKKey, "")
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("bulk: %d %v", status, err)
		}
		var a struct {
			EventStreams []struct {
				Endpoint struct{ RequestURI string } `json:"endpoint"`
			} `json:"eventStreams"`
		}
		if err := json.Unmarshal(body, &a); err != nil || len(a.EventStreams) != 1 {
			return fmt.Errorf("eventStreams in %s: %v", body, err)
		}
		requestURI = a.EventStreams[0].Endpoint.RequestURI
		return nil
	})
	if strings.Contains(requestURI, env.SDKKey) {
		t.Fatal("the stream URL carries the SDK key")
	}
	s := openSSE(t, ev.URL()+requestURI)
	s.next(t, 5*time.Second) // retry:

	start, v := patchFlag(t, cl, env.ID, "live", "b@example.com")
	frame := s.nextWithin(t, time.Second, fmt.Sprintf("id: %d\n", v))
	t.Logf("PATCH acknowledged → refetchEvaluation received: %s", time.Since(start))
	if !strings.Contains(frame, `"type":"refetchEvaluation"`) {
		t.Fatalf("event %q", frame)
	}
	status, body, err := ofrepBulk(ev, env.SDKKey, "?flagConfigEtag="+strconv.Quote("v"+strconv.FormatInt(v, 10)))
	if err != nil || status != http.StatusOK || !bytes.Contains(body, []byte(`"key":"live"`)) {
		t.Fatalf("refetch: %d %s %v", status, body, err)
	}
}

// TestPostHogStreamThroughTheBinaries: /stream/v1?kind=remote_eval on a real evaluator beacons a PATCH's
// new version within a second of the PATCH's answer.
func TestPostHogStreamThroughTheBinaries(t *testing.T) {
	c := startCluster(t, 1)
	ev := c.Evaluators[0]
	cl, env := newEnvironment(t, c)
	ctx := context.Background()
	v, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("live", "a@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	hexOf := func(v int64) string { return fmt.Sprintf("%016x", v) }
	var s *sse
	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		resp, err := http.Get(ev.URL() + "/stream/v1?kind=remote_eval&token=" + env.SDKKey)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		s = newSSE(t, resp)
		return nil
	})
	s.next(t, 5*time.Second)                                    // retry:
	s.nextWithin(t, 20*time.Second, `"version":"`+hexOf(v)+`"`) // the version it connected at (or a newer)

	start, v2 := patchFlag(t, cl, env.ID, "live", "b@example.com")
	s.nextWithin(t, time.Second, "id: "+hexOf(v2)+"\n")
	t.Logf("PATCH acknowledged → version beacon received: %s", time.Since(start))
}

// patchFlag retargets a flag and returns when the writer answered and the version it produced.
func patchFlag(tb testing.TB, cl *admin.Client, envID int64, key, email string) (time.Time, int64) {
	tb.Helper()
	body := emailFlag(key, email)
	delete(body, "key")
	v, err := cl.Do(context.Background(), http.MethodPatch, admin.FlagPath(envID, key), body, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return time.Now(), v
}

func ofrepBulk(ev *cluster.Process, key, query string) (int, []byte, error) {
	req, _ := http.NewRequest(http.MethodPost, ev.URL()+"/ofrep/v1/evaluate/flags"+query,
		strings.NewReader(`{"context":{"targetingKey":"u1","email":"b@example.com"}}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), err
}

// sse is an open event stream, read frame by frame.
type sse struct{ frames chan string }

func openSSE(tb testing.TB, url string) *sse {
	tb.Helper()
	resp, err := http.Get(url) // no client timeout: the stream stays open
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET stream: %s", resp.Status)
	}
	return newSSE(tb, resp)
}

func newSSE(tb testing.TB, resp *http.Response) *sse {
	s := &sse{frames: make(chan string, 100)}
	tb.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(s.frames)
		sc := bufio.NewScanner(resp.Body)
		var frame []string
		for sc.Scan() {
			if sc.Text() != "" {
				frame = append(frame, sc.Text())
				continue
			}
			s.frames <- strings.Join(frame, "\n")
			frame = nil
		}
	}()
	return s
}

func (s *sse) next(tb testing.TB, total time.Duration) string {
	tb.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			tb.Fatal("the stream ended")
		}
		return f
	case <-time.After(total):
		tb.Fatalf("no frame within %s", total)
		return ""
	}
}

// nextWithin skips frames until one contains want, failing if none comes within total.
func (s *sse) nextWithin(tb testing.TB, total time.Duration, want string) string {
	tb.Helper()
	deadline := time.Now().Add(total)
	for {
		if f := s.next(tb, time.Until(deadline)); strings.Contains(f, want) {
			return f
		}
	}
}
