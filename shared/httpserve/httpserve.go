// Package httpserve runs an HTTP server the way every Halyard process does: listen (":0" works, and the bound
// address is reported), serve with read, write and idle timeouts until the context ends, then stop without
// failing a request a load balancer sent: readiness goes false at once, the process keeps serving for a lame
// duck period while the load balancer notices, and only then drains the requests in flight (Server). Config
// reads those timeouts from the environment. It also holds the tiny client behind each binary's -healthcheck
// flag.
package httpserve

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Auxiliary is the configuration Serve uses: timeouts for a listener no load balancer sends traffic to (an
// admin or metrics port), with no lame duck.
var Auxiliary = Config{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
	WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}

// Serve listens on addr, calls bound with the actual address, and serves h until ctx ends; then it stops
// accepting and waits up to drain for in-flight requests. It has Auxiliary's timeouts and no lame duck.
func Serve(ctx context.Context, addr string, h http.Handler, drain time.Duration, bound func(net.Addr)) error {
	cfg := Auxiliary
	cfg.ShutdownTimeout = drain
	return (&Server{Addr: addr, Handler: h, Config: cfg, Bound: bound}).Run(ctx)
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
