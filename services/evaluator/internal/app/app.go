// Package app wires the evaluator together: the JetStream follower feeding the in-memory store, and the
// SDK-facing HTTP API, run until the context ends and then shut down in order.
package app

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/services/evaluator/internal/httpapi"
	"github.com/halyard-flags/halyard/services/evaluator/internal/natssub"
	"github.com/halyard-flags/halyard/services/evaluator/internal/ratelimit"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/services/evaluator/internal/streams"
	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/logging"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// Run runs the evaluator until ctx ends. bound, if set, receives the HTTP listen address.
func Run(ctx context.Context, cfg config.Config, log *zap.Logger, bound func(net.Addr)) error {
	failing := throttled(10 * time.Second)
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("halyard-evaluator"), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(250*time.Millisecond),
		nats.ConnectHandler(func(*nats.Conn) { log.Info("NATS connected") }),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if failing() { // an attempt every 250 ms; say so every 10 s
				log.Warn("cannot reach NATS; retrying (serving the last snapshots, if any)", zap.String("url", logging.RedactNATS(cfg.NATSURL)), zap.Error(err))
			}
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("NATS disconnected; serving the last snapshots", zap.Error(err))
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("NATS reconnected") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("NATS asynchronous error", zap.Error(err))
		}))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	defer nc.Drain() //nolint:errcheck
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	st := store.New()
	follower := natssub.New(js, cfg.Stream, cfg.SubjectPrefix, st, log.Named("natssub"))
	api := &httpapi.Server{Store: st, Ready: &follower.CaughtUp, Log: log.Named("http")}
	if cfg.RateLimit > 0 {
		api.Limiter = ratelimit.New(cfg.RateLimit, cfg.RateBurst)
	}
	hub := newStreams(cfg.Streams, st, api)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return follower.Run(gctx) })
	if hub != nil {
		g.Go(func() error { return hub.Run(gctx) }) // ends every stream when ctx ends, so the HTTP drain can finish
	}
	g.Go(func() error { return httpserve.Serve(gctx, cfg.Addr, api.Handler(), 10*time.Second, bound) })
	return g.Wait()
}

// newStreams gives the API its change streams, unless they are off, and returns their hub.
func newStreams(cfg config.Streams, st *store.Store, api *httpapi.Server) *streams.Hub {
	if !cfg.Enabled {
		return nil
	}
	hub := streams.NewHub(st, streams.Config{Heartbeat: cfg.Heartbeat, MaxLifetime: cfg.MaxLifetime,
		Stagger: cfg.Stagger, RefetchRate: cfg.RefetchRate, MaxStreams: cfg.Max})
	api.Streams = &httpapi.Streams{Hub: hub, Signer: streams.NewSigner([]byte(cfg.Secret), cfg.TokenTTL), BaseURL: cfg.URL}
	return hub
}

// throttled returns a function that reports true at most once per interval.
func throttled(interval time.Duration) func() bool {
	var mu sync.Mutex
	var last time.Time
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < interval {
			return false
		}
		last = time.Now()
		return true
	}
}
