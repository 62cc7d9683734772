// Package httpserve runs an HTTP server the way every Halyard process does: listen (":0" works, and the bound
// address is reported), serve until the context ends, then drain in-flight requests within a deadline.
// It also holds the tiny client behind each binary's -healthcheck flag.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Serve listens on addr, calls bound with the actual address, and serves h until ctx ends; then it stops
// accepting and waits up to drain for in-flight requests.
func Serve(ctx context.Context, addr string, h http.Handler, drain time.Duration, bound func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("httpserve.Serve: %w", err)
	}
	if bound != nil {
		bound(ln.Addr())
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("httpserve.Serve: drain: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Healthcheck GETs path on the local listen address addr (":8080" → 127.0.0.1:8080) and reports whether it
// answered 200. Images without a shell use it as their health probe.
func Healthcheck(addr, path string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/" + strings.TrimPrefix(path, "/"))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", path, resp.Status)
	}
	return nil
}
