package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/halyard-flags/halyard/services/evaluator/internal/envview"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/labstack/echo/v4"
)

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
	env, ok, err := s.atVersion(c.Request(), c.Response().Header(), env, ok, func() (*store.Env, bool) { return s.Store.ByServerKey(key) })
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.Unauthorized, "invalid_server_key", "the server key is not valid")
	}
	d := definitionsOf(env)
	if d.Err != nil {
		return apperr.Wrap(d.Err, "local evaluation payload")
	}
	h := c.Response().Header()
	h.Set(headerETag, d.ETag)
	h.Set("Cache-Control", definitionsCacheControl)
	if etagMatches(c.Request().Header.Get("If-None-Match"), d.ETag) {
		return c.NoContent(http.StatusNotModified)
	}
	s.Metrics.evaluated(evalLocalEvaluation, env.Engine.Len())
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, d.Body)
}

// definitionsOf returns env's local-evaluation payload, encoded on the first request for this version.
func definitionsOf(env *store.Env) *envview.Definitions {
	return env.View().Definitions.Get(func() *envview.Definitions { return buildDefinitions(env.Snapshot) })
}

func buildDefinitions(snap *wire.Snapshot) *envview.Definitions {
	flags := make([]flag.Flag, 0, len(snap.Flags))
	for _, f := range snap.Flags {
		if !f.Deleted {
			flags = append(flags, f)
		}
	}
	body, err := flag.MarshalLocalEvaluation(&flag.LocalEvaluation{Flags: flags, GroupTypes: snap.GroupTypes,
		Cohorts: snap.Cohorts})
	if err == nil {
		body, err = asPostHogServes(body, flags)
	}
	if err != nil {
		return &envview.Definitions{Err: err}
	}
	sum := sha256.Sum256(body)
	return &envview.Definitions{Body: body, ETag: `W/"` + hex.EncodeToString(sum[:12]) + `"`}
}

// The definitions' caching headers, as PostHog's flag service sends them on 200 and 304 alike
// (rust/feature-flags src/api/flag_definitions.rs, ok_response_with_etag and not_modified_response): a weak
// ETag, which proxies keep when they compress the body (a strong one they must drop), and
// "private, must-revalidate".
const definitionsCacheControl = "private, must-revalidate"

// etagMatches implements If-None-Match: a list of entity tags, weak or strong (weak comparison), or "*".
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

const headerETag = "ETag"
