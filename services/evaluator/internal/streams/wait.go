package streams

import (
	"context"
	"errors"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
)

// ErrNotYet is WaitFor's answer when the environment did not reach the wanted state in time.
var ErrNotYet = errors.New("streams: the environment did not reach the wanted version in time")

// WaitFor returns environment envID as soon as ok accepts it, waiting at most timeout for the store to
// apply newer versions. An OFREP refetch that names a version (flagConfigEtag) this replica has not applied
// yet waits here rather than answer the old one as current. It follows the same topic as the streams, so
// many waiting requests cost one store subscription.
func (h *Hub) WaitFor(ctx context.Context, envID int64, timeout time.Duration, ok func(*store.Env) bool) (*store.Env, error) {
	if env, found := h.store.ByID(envID); found && ok(env) {
		return env, nil
	}
	m, err := h.join(envID, true)
	if err != nil {
		return nil, err
	}
	defer m.Leave()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		if env, found := h.store.ByID(envID); found && ok(env) {
			return env, nil
		}
		select {
		case <-m.notify:
		case <-timer.C:
			return nil, ErrNotYet
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-h.done:
			return nil, ErrClosed
		}
	}
}
