package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/devkit/admin"
	"github.com/halyard-flags/halyard/devkit/cluster"
)

// TestFrozenPostgreSQL: the writer binary's PostgreSQL freezes (connections open, nothing answered). A
// change answers 503 database_unavailable within 12 s, the writer's /readyz answers 503, and the evaluator
// keeps answering from its snapshot and stays ready throughout; once PostgreSQL answers again, the writer
// takes changes and the evaluator receives them, with no restart.
func TestFrozenPostgreSQL(t *testing.T) {
	c := startCluster(t, 1)
	fr := newFreezer(t, c.DatabaseURL)
	if err := c.Writer.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	c.Writer = c.NewWriter(c.Writer.Addr)
	c.Writer.Env = append(c.Writer.Env, "DATABASE_URL="+fr.url) // the last value of a variable wins
	if err := c.Writer.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Writer.WaitReady(context.Background(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	cl, env := newEnvironment(t, c)
	cl.HTTP = &http.Client{Timeout: 30 * time.Second} // longer than the writer's request timeout
	ctx := context.Background()
	v1, err := cl.Do(ctx, http.MethodPost, admin.FlagsPath(env.ID), emailFlag("frozen", "ada@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitPublished(t, c, env.ID, v1)
	ev := c.Evaluators[0]
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error { return evaluatorAnswers(ev, env.SDKKey, true) })

	fr.freeze()
	start := time.Now()
	_, err = cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "frozen"), map[string]any{"active": false}, nil)
	var ae *admin.Error
	if took := time.Since(start); !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable ||
		ae.Code != "database_unavailable" || took > 12*time.Second {
		t.Fatalf("PATCH with PostgreSQL frozen = %v after %s, want 503 database_unavailable within 12s", err, took.Round(time.Millisecond))
	}
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if got := readyz(c.Writer); got != http.StatusServiceUnavailable {
			return fmt.Errorf("writer /readyz = %d, want 503", got)
		}
		return nil
	})
	if err := evaluatorAnswers(ev, env.SDKKey, true); err != nil {
		t.Fatalf("evaluator with the writer's PostgreSQL frozen: %v", err)
	}
	if got := readyz(ev); got != http.StatusOK {
		t.Fatalf("evaluator /readyz with the writer's PostgreSQL frozen = %d, want 200", got)
	}

	fr.thaw()
	if err := c.Writer.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	v2, err := cl.Do(ctx, http.MethodPatch, admin.FlagPath(env.ID, "frozen"), map[string]any{"active": false}, nil)
	if err != nil {
		t.Fatalf("PATCH after PostgreSQL thawed: %v", err)
	}
	waitPublished(t, c, env.ID, v2)
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error { return evaluatorAnswers(ev, env.SDKKey, false) })
}

// evaluatorAnswers checks that the evaluator answers /flags and includes the flag "frozen" or leaves it out
// (PostHog leaves inactive flags out).
func evaluatorAnswers(ev *cluster.Process, key string, active bool) error {
	r, err := tryFlags(ev, key, "u", map[string]any{"email": "ada@example.com"})
	if err != nil {
		return err
	}
	if f, ok := r.Flags["frozen"]; ok != active || (active && !f.Enabled) {
		return fmt.Errorf("%s answers %+v, want the flag active: %v", ev.Name, r.Flags, active)
	}
	return nil
}

func readyz(p *cluster.Process) int {
	resp, err := httpClient.Get(p.URL() + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// freezer is a TCP proxy to PostgreSQL that can freeze: it then keeps every connection open, accepts new
// ones and forwards nothing, as a SIGSTOPped PostgreSQL or a network dropping its packets would. Thawed, it
// forwards what it held back.
type freezer struct {
	url    string // the database URL through the proxy
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	frozen bool
}

func newFreezer(tb testing.TB, dbURL string) *freezer {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	f := &freezer{target: u.Host}
	f.cond = sync.NewCond(&f.mu)
	tb.Cleanup(func() { l.Close(); f.thaw() })
	u.Host = l.Addr().String()
	f.url = u.String()
	go f.serve(l)
	return f
}

func (f *freezer) freeze() { f.set(true) }
func (f *freezer) thaw()   { f.set(false) }

func (f *freezer) set(frozen bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = frozen
	f.cond.Broadcast()
}

func (f *freezer) serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		pg, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		go f.forward(pg, c)
		go f.forward(c, pg)
	}
}

// forward copies src to dst, holding each chunk back while frozen, until either side closes.
func (f *freezer) forward(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			for f.frozen {
				f.cond.Wait()
			}
			f.mu.Unlock()
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
