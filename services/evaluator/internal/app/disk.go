package app

import (
	"github.com/halyard-flags/halyard/services/evaluator/internal/config"
	"github.com/halyard-flags/halyard/services/evaluator/internal/metrics"
	"github.com/halyard-flags/halyard/services/evaluator/internal/natssub"
	"github.com/halyard-flags/halyard/services/evaluator/internal/snapdir"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// snapshotDir opens HALYARD_SNAPSHOT_DIR, or returns nil when it is not set. Its metrics are registered
// either way, so their series exist from the start.
func snapshotDir(cfg config.Config, log *zap.Logger, reg prometheus.Registerer, st *store.Store) (*snapdir.Dir, error) {
	obs := metrics.NewDisk(reg, st.FromDisk)
	if cfg.SnapshotDir == "" {
		return nil, nil
	}
	return snapdir.Open(cfg.SnapshotDir, log, snapdir.Observe(obs))
}

// startFromDisk fills st from the directory when NATS could not be reached at start, and has the follower
// take the directory's catalog, which makes it ready if the directory holds every catalogued environment.
// With NATS reachable the stream is the fresher source: the directory is only written.
func startFromDisk(d *snapdir.Dir, natsConnected bool, st *store.Store, f *natssub.Follower, log *zap.Logger) {
	if d == nil {
		return
	}
	if natsConnected {
		log.Info("NATS reachable at start: following the stream, not loading the snapshots on disk")
		return
	}
	log.Warn("NATS unreachable at start: serving the snapshots on disk until the stream can be read")
	f.Preload(d.Load(st))
}
