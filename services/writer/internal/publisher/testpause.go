package publisher

import "context"

// The steps of a publish where a test may pause the publisher (PauseAt).
const (
	StepAfterCommit = "after-commit" // the change is committed and its snapshot read; nothing published yet
	StepAfterPuback = "after-puback" // the stream acknowledged the snapshot; its outbox rows are not marked
	StepAfterMark   = "after-mark"   // the outbox rows are marked published
)

// PauseAt has pause called, on the publishing goroutine, each time a publish reaches step (one of the Step
// constants), with the environment and the snapshot's version. It is for fault tests only
// (HALYARD_TEST_PAUSE_AT): pause blocks while the test kills the process there.
func PauseAt(step string, pause func(ctx context.Context, step string, envID, version int64)) Option {
	return func(p *Publisher) { p.pauseStep, p.pause = step, pause }
}

// pauseAt calls the PauseAt function when step is the one it was given.
func (p *Publisher) pauseAt(ctx context.Context, step string, envID, version int64) {
	if p.pause != nil && p.pauseStep == step {
		p.pause(ctx, step, envID, version)
	}
}
