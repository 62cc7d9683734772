package app

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/services/evaluator/internal/httpapi"
	"github.com/halyard-flags/halyard/services/evaluator/internal/metrics"
	"github.com/halyard-flags/halyard/services/evaluator/internal/status"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/adminserve"
	"github.com/halyard-flags/halyard/shared/logging"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// observability is how the evaluator can be watched: its Prometheus registry and metrics, its access log,
// and its status, served on the admin listener (HALYARD_ADMIN_ADDR).
type observability struct {
	addr      string
	reg       *prometheus.Registry
	http      *httpapi.Metrics
	snapshots *metrics.Snapshots
	access    *zap.Logger // buffered: flushed every second and by close
	nats      *status.NATSWatch
}

// newObservability builds the registry with the metrics that need nothing else than nc.
func newObservability(ctx context.Context, cfg config.Config, nc *nats.Conn) (*observability, error) {
	access, err := logging.New(cfg.LogFormat, cfg.LogLevel, logging.Buffered(time.Second))
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	o := &observability{addr: cfg.AdminAddr, reg: adminserve.NewRegistry(), access: access.Named("access"),
		nats: status.WatchNATS(ctx, nc, cfg.NATS.URL)}
	o.http = httpapi.NewMetrics(o.reg)
	o.snapshots = metrics.NewSnapshots(o.reg)
	metrics.RegisterNATS(o.reg, nc)
	return o, nil
}

// serve registers what st and api serve and serves the admin listener until ctx ends.
func (o *observability) serve(ctx context.Context, st *store.Store, api *httpapi.Server, missing func() []int64, bound func(net.Addr)) error {
	metrics.RegisterStore(o.reg, st)
	metrics.RegisterReady(o.reg, api.Ready.Load)
	src := &status.Source{Store: st, Ready: api.Ready.Load, NATS: o.nats.State, Missing: missing}
	h := adminserve.Handler(o.reg, func(ctx context.Context) any { return src.Report(ctx) })
	return adminserve.Serve(ctx, o.addr, h, bound)
}

// close flushes the access log.
func (o *observability) close() {
	_ = o.access.Sync()
}
