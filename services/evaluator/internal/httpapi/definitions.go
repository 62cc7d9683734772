package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/labstack/echo/v4"
)

// definitionsCache is one environment version's local-evaluation payload, encoded once: SDKs poll it every
// few seconds, so the answer is a byte copy, or a 304 when their ETag is current.
type definitionsCache struct {
	version int64
	body    []byte
	etag    string
}

// localEvaluation serves PostHog's local-evaluation payload ({flags, group_type_mapping, cohorts}) for
// GET /api/feature_flag/local_evaluation and GET /flags/definitions. It takes the environment's secret server
// key as a bearer token; the project token PostHog's SDKs add as ?token= is not needed, and send_cohorts is
// accepted and ignored (cohorts are always sent).
func (s *Server) localEvaluation(c echo.Context) error {
	key, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || key == "" {
		return apperr.New(apperr.Unauthorized, "missing_server_key",
			"send the environment's server key as Authorization: Bearer <key>")
	}
	if err := s.limit(key); err != nil {
		return err
	}
	env, ok := s.Store.ByServerKey(key)
	if !ok {
		return apperr.New(apperr.Unauthorized, "invalid_server_key", "the server key is not valid")
	}
	d, err := s.definitionsOf(env)
	if err != nil {
		return apperr.Wrap(err, "local evaluation payload")
	}
	h := c.Response().Header()
	h.Set(headerETag, d.etag)
	h.Set("Cache-Control", "no-cache")
	if etagMatches(c.Request().Header.Get("If-None-Match"), d.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, d.body)
}

func (s *Server) definitionsOf(env *store.Env) (*definitionsCache, error) {
	if v, ok := s.definitions.Load(env.ID); ok {
		if d := v.(*definitionsCache); d.version == env.Version {
			return d, nil
		}
	}
	snap := env.Snapshot
	flags := make([]flag.Flag, 0, len(snap.Flags))
	for _, f := range snap.Flags {
		if !f.Deleted {
			flags = append(flags, f)
		}
	}
	body, err := flag.MarshalLocalEvaluation(&flag.LocalEvaluation{Flags: flags, GroupTypes: snap.GroupTypes,
		Cohorts: snap.Cohorts})
	if err != nil {
		return nil, err
	}
	if body, err = asPostHogServes(body, flags); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	d := &definitionsCache{version: env.Version, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	// A concurrent request may store the same version; either copy is right. An older version never
	// replaces a newer one for long: the next request for the newer version stores it again.
	s.definitions.Store(env.ID, d)
	return d, nil
}

// etagMatches implements If-None-Match: a list of entity tags, weak or strong (weak comparison), or "*".
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

const headerETag = "ETag"
