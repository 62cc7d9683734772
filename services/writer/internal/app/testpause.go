package app

import (
	"context"

	"github.com/halyard-flags/halyard/services/writer/internal/publisher"
	"go.uber.org/zap"
)

// PausedMessage is the log line of a writer paused by HALYARD_TEST_PAUSE_AT: a fault test waits for it, then
// kills the writer.
const PausedMessage = "publisher paused for a test (HALYARD_TEST_PAUSE_AT)"

// testPause is the publisher option of HALYARD_TEST_PAUSE_AT: at the step, the publisher logs PausedMessage
// with the environment and version, then waits until it is stopped (a fault test SIGKILLs it first). Unset,
// it changes nothing.
func testPause(step string, log *zap.Logger) publisher.Option {
	if step == "" {
		return func(*publisher.Publisher) {}
	}
	log.Warn("HALYARD_TEST_PAUSE_AT is set: the publisher stops for good at the step, on purpose (tests only)",
		zap.String("step", step))
	return publisher.PauseAt(step, func(ctx context.Context, step string, envID, version int64) {
		log.Warn(PausedMessage, zap.String("step", step), zap.Int64("environment", envID), zap.Int64("version", version))
		<-ctx.Done()
	})
}
