// Package app wires the writer together: migrations, the admin API, the outbox publisher and tracing, run
// until the context ends and then shut down in order (stop being ready, serve through the lame duck, drain
// HTTP, stop publishing, stop notifying, flush spans, drain NATS, close the pool).
package app

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/httpapi"
	"github.com/halyard-flags/halyard/services/writer/internal/monitor"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/services/writer/internal/publisher"
	"github.com/halyard-flags/halyard/services/writer/internal/webui"
	"github.com/halyard-flags/halyard/shared/adminserve"
	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/shared/natsconn"
	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/halyard-flags/halyard/ui"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// The database serves every resource of the admin API.
var (
	_ httpapi.EnvironmentStore = (*postgres.DB)(nil)
	_ httpapi.FlagStore        = (*postgres.DB)(nil)
	_ httpapi.CohortStore      = (*postgres.DB)(nil)
	_ httpapi.BulkStore        = (*postgres.DB)(nil)
	_ httpapi.AuditStore       = (*postgres.DB)(nil)
	_ httpapi.TokenStore       = (*postgres.DB)(nil)
	_ httpapi.DefinitionStore  = (*postgres.DB)(nil)
	_ httpapi.EventStore       = (*postgres.DB)(nil)
)

// Run runs the writer until ctx ends (or a part of it fails), then stops in order: readiness false at once
// and the admin API still serving through the lame duck, then drained (httpserve.Server); the publisher,
// finishing the publish in flight; the NOTIFY loop, handing what is left to other writers; the spans still
// buffered, flushed (when tracing is on); NATS, drained until closed; the pool. bound, if set, receives the
// HTTP listen address.
func Run(ctx context.Context, cfg config.Config, log *zap.Logger, bound func(net.Addr)) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	nc, err := natsconn.Connect(cfg.NATS, "halyard-writer", log.Named("nats"))
	if err != nil {
		return err
	}
	defer nc.Stop(cfg.HTTP.ShutdownTimeout, log)
	flush, err := tracing.Setup(ctx, cfg.Tracing, "halyard-writer", log.Named("tracing"))
	if err != nil {
		return err
	}
	defer tracing.Flush(flush, cfg.HTTP.ShutdownTimeout, log) // before NATS drains: deferred after it
	db.MaxPayload = nc.Conn.MaxPayload                        // bounds snapshots: changes that could never be published are refused
	js, err := jetstream.New(nc.Conn)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	signer, err := cfg.Signer()
	if err != nil {
		return err
	}
	if signer != nil {
		log.Info("signing snapshots", zap.String("key_id", signer.KeyID()))
	}
	var ready, schemaReady atomic.Bool
	outbox := postgres.NewOutbox(db)
	mon := monitor.New(monitor.Config{Outbox: outbox, Pool: db.Pool, NATS: nc.Conn, NATSURL: cfg.NATS.URL,
		Ready: ready.Load, StuckAfter: cfg.OutboxStuckAfter})
	pub := publisher.New(outbox, js,
		publisher.Stream{Name: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, Replicas: cfg.StreamReplicas},
		log.Named("publisher"), publisher.PollInterval(cfg.PollInterval),
		publisher.ReconcileInterval(cfg.ReconcileInterval), publisher.Observe(mon.Publishing()), publisher.Sign(signer),
		testPause(cfg.TestPauseAt, log))

	events := httpapi.NewVersionFeed(db, log.Named("events"))
	api := &httpapi.Server{Environments: db, Flags: db, Cohorts: db, Bulk: db, Audit: db, Tokens: db, Definitions: db,
		Events: events, AdminToken: cfg.AdminToken, Log: log.Named("http"), Ready: &ready, SchemaReady: &schemaReady,
		Metrics: httpapi.NewMetrics(mon.Registry), RequestTimeout: cfg.RequestTimeout, UploadTimeout: cfg.HTTP.WriteTimeout}
	handler := api.Handler()
	if err := webui.Mount(handler, ui.Assets(), webui.Options{EvaluatorURL: cfg.EvaluatorURL}); err != nil {
		return err
	}
	srv := &httpserve.Server{Addr: cfg.Addr, Handler: handler, Config: cfg.HTTP, ReadyPath: "/readyz",
		Log: log, Bound: bound}

	// The publisher and the NOTIFY loop outlive ctx: they stop after the admin API, which may still commit
	// changes until then.
	publishing, stopPublishing := context.WithCancel(context.WithoutCancel(ctx))
	notifying, stopNotifying := context.WithCancel(context.WithoutCancel(ctx))
	defer stopNotifying()
	published := make(chan struct{})
	readiness := newReadiness(&ready)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { readiness.probe(gctx, db.Pool, log); return nil })
	g.Go(func() error { events.Run(gctx); return nil }) // ends the event streams, so that HTTP can drain
	g.Go(func() error {
		defer close(published)
		return publish(publishing, db, pub, &schemaReady, readiness, log)
	})
	g.Go(func() error { return pub.Notify(notifying) })
	g.Go(func() error { return nc.Watch(gctx) })
	if cfg.AdminAddr != "" && cfg.AdminAddr != config.AdminOff {
		status := func(ctx context.Context) any { return mon.Status(ctx) }
		g.Go(func() error {
			return httpserve.Serve(gctx, cfg.AdminAddr, adminserve.Handler(mon.Registry, status), 10*time.Second,
				func(a net.Addr) { log.Info("admin listener: /metrics and /status", zap.Stringer("addr", a)) })
		})
	}
	g.Go(func() error {
		err := srv.Run(gctx)
		stopPublishing()
		<-published
		log.Info("stopping: publisher stopped")
		stopNotifying()
		return err
	})
	return g.Wait()
}

// publish migrates the database, sets up the stream, and runs the publisher until ctx ends.
func publish(ctx context.Context, db *postgres.DB, pub *publisher.Publisher, schemaReady *atomic.Bool, ready *readiness, log *zap.Logger) error {
	if err := migrate(ctx, db, log); err != nil {
		return err
	}
	schemaReady.Store(true)
	if err := startPublisher(ctx, pub, log); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	ready.start()
	log.Info("writer ready")
	return pub.Run(ctx)
}

// migrate applies the schema migrations, retrying while PostgreSQL cannot be reached: the writer runs (and
// answers 503) meanwhile instead of exiting. A migration PostgreSQL refuses stops the writer.
func migrate(ctx context.Context, db *postgres.DB, log *zap.Logger) error {
	for wait := time.Duration(0); ; wait = time.Second {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		applied, err := db.Migrate(ctx)
		if err == nil {
			log.Info("database ready", zap.Strings("migrations_applied", applied))
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if !postgres.IsUnavailable(err) {
			return err
		}
		log.Warn("cannot reach PostgreSQL yet; retrying", zap.Error(err))
	}
}

// startPublisher ensures the stream, retrying while NATS is unreachable: the admin API keeps accepting
// changes meanwhile (the outbox holds them), but the writer reports ready only once it can publish.
func startPublisher(ctx context.Context, pub *publisher.Publisher, log *zap.Logger) error {
	for {
		err := pub.Start(ctx)
		if err == nil || ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("cannot set up the snapshot stream yet; retrying", zap.Error(err))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}
