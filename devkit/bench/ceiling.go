package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// CeilingHandler is the reference ceiling: the least an HTTP JSON service can do per request with Go's
// net/http and encoding/json. It reads and decodes the body as the evaluator must, and writes a small JSON
// answer. Nothing Halyard does per request can be cheaper than this on the same machine.
func CeilingHandler() http.Handler {
	answer := []byte(`{"key":"ceiling","value":true,"reason":"STATIC","variant":"on"}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var v map[string]any
		if err == nil {
			err = json.Unmarshal(body, &v)
		}
		if err != nil {
			http.Error(w, `{"code":"invalid_json"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
}

// ServeCeiling serves CeilingHandler on addr until ctx ends (the `halyard-bench ceiling` subcommand).
func ServeCeiling(ctx context.Context, addr string) error {
	srv := &http.Server{Addr: addr, Handler: CeilingHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// StartCeiling runs the ceiling as a child process (this same binary with the "ceiling" argument), so it
// competes for the CPU the way an evaluator process does, and waits until it answers.
func StartCeiling(ctx context.Context, addr string) (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "ceiling", addr)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ceiling: %w", err)
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Post("http://"+addr+"/", "application/json", nil)
		if err == nil {
			resp.Body.Close()
			return stop, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("ceiling on %s did not answer within 10s", addr)
}
