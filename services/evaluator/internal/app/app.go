// Package app wires the evaluator together: the JetStream follower feeding the in-memory store, the
// SDK-facing HTTP API, the admin listener (metrics, status) and tracing, run until the context ends and
// then shut down in order (stop being ready, serve through the lame duck, drain HTTP, stop following, flush
// spans, drain NATS).
package app

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/services/evaluator/internal/httpapi"
	"github.com/halyard-flags/halyard/services/evaluator/internal/natssub"
	"github.com/halyard-flags/halyard/services/evaluator/internal/ratelimit"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/services/evaluator/internal/streams"
	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// Run runs the evaluator until ctx ends (or a part of it fails), then stops in order: readiness false at
// once and the SDK API still serving through the lame duck, then drained (httpserve.Server); the JetStream
// follower; the spans still buffered, flushed (when tracing is on); NATS, drained until closed. bound, if
// set, receives the HTTP listen address.
func Run(ctx context.Context, cfg config.Config, log *zap.Logger, bound func(net.Addr)) error {
	// While NATS is away the evaluator serves the last snapshots it holds: every NATS log line says so.
	nc, err := natsconn.Connect(cfg.NATS, "halyard-evaluator", log.Named("nats").With(zap.String("meanwhile", "serving the last snapshots")))
	if err != nil {
		return err
	}
	defer nc.Stop(cfg.HTTP.ShutdownTimeout, log)
	flush, err := tracing.Setup(ctx, cfg.Tracing, "halyard-evaluator", log.Named("tracing"))
	if err != nil {
		return err
	}
	defer tracing.Flush(flush, cfg.HTTP.ShutdownTimeout, log) // before NATS drains: deferred after it
	js, err := jetstream.New(nc.Conn)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	obs, err := newObservability(ctx, cfg, nc.Conn)
	if err != nil {
		return err
	}
	defer obs.close()
	st := store.New()
	disk, err := snapshotDir(cfg, log.Named("snapdir"), obs.reg, st)
	if err != nil {
		return err
	}
	opts := []natssub.Option{natssub.Observe(obs.snapshots)}
	if disk != nil {
		opts = append(opts, natssub.OnCatalog(disk.SaveCatalog))
	}
	if cfg.TestApplyDelay > 0 {
		log.Warn("HALYARD_TEST_APPLY_DELAY is set: every snapshot is applied late, on purpose (tests only)", zap.Duration("delay", cfg.TestApplyDelay))
		opts = append(opts, natssub.ApplyDelay(cfg.TestApplyDelay))
	}
	verifier, err := cfg.Verifier()
	if err != nil {
		return err
	}
	if verifier != nil {
		log.Info("refusing snapshots not signed by an accepted key", zap.Strings("key_ids", verifier.KeyIDs()))
		opts = append(opts, natssub.VerifySignatures(verifier))
	}
	follower := natssub.New(js, cfg.Stream, cfg.SubjectPrefix, st, log.Named("natssub"), opts...)
	startFromDisk(disk, nc.IsConnected(), st, follower, log.Named("snapdir"))
	api := &httpapi.Server{Store: st, Ready: &follower.CaughtUp, Log: log.Named("http"), MinVersionWait: cfg.MinVersionWait,
		Metrics: obs.http, AccessLog: obs.access}
	if cfg.RateLimit > 0 {
		api.Limiter = ratelimit.New(cfg.RateLimit, cfg.RateBurst)
	}
	api.ClientIP = httpapi.ClientIP(cfg.TrustedProxies)
	if cfg.RateLimitIP > 0 {
		api.IPLimiter = ratelimit.New(cfg.RateLimitIP, cfg.RateBurstIP)
	}
	hub := newStreams(cfg.Streams, cfg.MinVersionWait, st, api)
	if hub != nil {
		registerStreams(obs.reg, hub)
	}
	srv := &httpserve.Server{Addr: cfg.Addr, Handler: api.Handler(), Config: cfg.HTTP, ReadyPath: "/readyz",
		Log: log, Bound: bound}

	// The follower outlives ctx: answers stay fresh until the SDK API has stopped.
	following, stopFollowing := context.WithCancel(context.WithoutCancel(ctx))
	followed := make(chan struct{})
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(followed)
		return follower.Run(following)
	})
	g.Go(func() error { return nc.Watch(gctx) })
	if disk != nil {
		g.Go(func() error { return disk.Run(following, st) }) // persists until the follower stops
	}
	if hub != nil {
		g.Go(func() error { return hub.Run(gctx) }) // ends every stream when ctx ends, so the HTTP drain can finish
	}
	g.Go(func() error {
		err := srv.Run(gctx)
		stopFollowing()
		<-followed
		log.Info("stopping: stopped following the stream")
		return err
	})
	g.Go(func() error { return obs.serve(gctx, st, api, follower.Missing, nil) })
	return g.Wait()
}

// newStreams gives the API its change streams, unless they are off, and returns their hub. A refetch naming
// a version this replica has not applied waits for it as long as a request naming one does.
func newStreams(cfg config.Streams, wait time.Duration, st *store.Store, api *httpapi.Server) *streams.Hub {
	if !cfg.Enabled {
		return nil
	}
	hub := streams.NewHub(st, streams.Config{Heartbeat: cfg.Heartbeat, MaxLifetime: cfg.MaxLifetime,
		Stagger: cfg.Stagger, RefetchRate: cfg.RefetchRate, MaxStreams: cfg.Max})
	api.Streams = &httpapi.Streams{Hub: hub, Signer: streams.NewSigner([]byte(cfg.Secret), cfg.TokenTTL),
		BaseURL: cfg.URL, RefetchWait: wait}
	return hub
}
