// Package app wires the writer together: migrations, the admin API, and the outbox publisher, run until the
// context ends and then shut down in order (stop being ready, drain HTTP, stop publishing, drain NATS, close
// the pool).
package app

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/config"
	"github.com/halyard-flags/halyard/services/writer/internal/httpapi"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/services/writer/internal/publisher"
	"github.com/halyard-flags/halyard/services/writer/internal/webui"
	"github.com/halyard-flags/halyard/shared/httpserve"
	"github.com/halyard-flags/halyard/ui"
	"github.com/nats-io/nats.go"
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
)

// Run runs the writer until ctx ends. bound, if set, receives the HTTP listen address.
func Run(ctx context.Context, cfg config.Config, log *zap.Logger, bound func(net.Addr)) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	nc, err := nats.Connect(cfg.NATSURL, nats.Name("halyard-writer"), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	defer nc.Drain() //nolint:errcheck
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	pub := publisher.New(postgres.NewOutbox(db), js,
		publisher.Stream{Name: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, Replicas: cfg.StreamReplicas},
		log.Named("publisher"), publisher.PollInterval(cfg.PollInterval))

	var ready, schemaReady atomic.Bool
	api := &httpapi.Server{Environments: db, Flags: db, Cohorts: db, Bulk: db, Audit: db, Tokens: db, Definitions: db,
		AdminToken: cfg.AdminToken, Log: log.Named("http"), Ready: &ready, SchemaReady: &schemaReady}
	handler := api.Handler()
	if err := webui.Mount(handler, ui.Assets(), webui.Options{EvaluatorURL: cfg.EvaluatorURL}); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return httpserve.Serve(gctx, cfg.Addr, handler, 10*time.Second, bound)
	})
	g.Go(func() error { return pub.Notify(gctx) })
	g.Go(func() error {
		if err := migrate(gctx, db, log); err != nil {
			return err
		}
		schemaReady.Store(true)
		if err := startPublisher(gctx, pub, log); err != nil {
			return err
		}
		ready.Store(true)
		log.Info("writer ready")
		return pub.Run(gctx)
	})
	return g.Wait()
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
