package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/apperr"
)

// Read-your-writes. The writer answers every change with the environment version it produced
// (Halyard-Environment-Version); a client that names that version in Halyard-Min-Version (or ?min_version=
// where it cannot set headers) is answered from that version of the environment or a later one. An evaluator
// that has not applied it yet waits for its store's change feed, up to Server.MinVersionWait, and then
// answers 503 version_not_available with Retry-After: never a stale answer presented as current. A request
// that names no version costs one header lookup and one substring test of the raw query.

const (
	headerMinVersion         = "Halyard-Min-Version"
	headerEnvironmentVersion = "Halyard-Environment-Version"
	queryMinVersion          = "min_version"
)

// DefaultMinVersionWait is how long a request naming a version the evaluator has not applied waits for it.
const DefaultMinVersionWait = 2 * time.Second

// versionRetryAfter is the Retry-After of a 503 version_not_available: a change reaches every evaluator in
// milliseconds, so a version still missing after the wait is worth asking for again shortly.
const versionRetryAfter = "1"

// versionNotAvailable is a request whose environment did not reach the version it named in time.
type versionNotAvailable struct {
	want, have int64
}

func (e *versionNotAvailable) Error() string {
	return "this evaluator holds version " + strconv.FormatInt(e.have, 10) + " of the environment; the request asks for at least " +
		strconv.FormatInt(e.want, 10) + ": retry after " + versionRetryAfter + " second"
}

// minVersion reads the version a request names: the Halyard-Min-Version header, else ?min_version=.
func minVersion(req *http.Request) (want int64, asked bool, err error) {
	var v string
	if h := req.Header[headerMinVersion]; len(h) > 0 {
		v = h[0]
	} else if strings.Contains(req.URL.RawQuery, queryMinVersion) { // parsing every query costs a map per request
		v = req.URL.Query().Get(queryMinVersion)
	}
	if v == "" {
		return 0, false, nil
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if perr != nil || n < 0 {
		return 0, false, apperr.New(apperr.BadRequest, "invalid_min_version",
			"%s (or ?%s=) must be an environment version: a whole number of at least 0", headerMinVersion, queryMinVersion)
	}
	return n, true, nil
}

// atVersion returns the environment lookup finds once it holds at least the version the request names.
// env and ok are lookup's answer from before; when the request names no version, or env is already recent
// enough, they are returned as they are. Otherwise it waits on the store's change feed (for the
// environment, or for any environment while the key is unknown: a new environment's key may still be on its
// way) and looks up again after every change. A key still unknown after the wait is reported as not found
// (ok false); a known environment still behind is a *versionNotAvailable. Either way the answer carries the
// version it reflects in Halyard-Environment-Version.
func (s *Server) atVersion(req *http.Request, h http.Header, env *store.Env, ok bool, lookup func() (*store.Env, bool)) (*store.Env, bool, error) {
	want, asked, err := minVersion(req)
	if err != nil || !asked {
		return env, ok, err
	}
	if !ok || env.Version < want {
		env, ok, err = s.awaitVersion(req.Context(), want, env, ok, lookup)
	}
	if ok {
		h.Set(headerEnvironmentVersion, strconv.FormatInt(env.Version, 10))
	}
	return env, ok, err
}

func (s *Server) awaitVersion(ctx context.Context, want int64, env *store.Env, ok bool, lookup func() (*store.Env, bool)) (*store.Env, bool, error) {
	var sub *store.Subscription
	if ok {
		sub = s.Store.Subscribe(env.ID)
	} else {
		sub = s.Store.Subscribe()
	}
	defer sub.Close()
	timer := time.NewTimer(s.MinVersionWait)
	defer timer.Stop()
	var changes []store.Change
	for {
		// Subscribed first, looked up second: nothing applied after this lookup is missed.
		if env, ok = lookup(); ok && env.Version >= want {
			return env, true, nil
		}
		select {
		case <-sub.Ready():
			changes = sub.Take(changes[:0])
		case <-timer.C:
			return env, ok, notAvailable(env, ok, want)
		case <-ctx.Done():
			return env, ok, notAvailable(env, ok, want)
		}
	}
}

func notAvailable(env *store.Env, ok bool, want int64) error {
	if !ok {
		return nil // an unknown key: the caller answers it as it does without a version
	}
	return &versionNotAvailable{want: want, have: env.Version}
}
