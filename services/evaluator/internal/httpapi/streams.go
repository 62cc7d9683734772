package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/services/evaluator/internal/streams"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

// Streams is what the change-stream routes need: the fan-out, the stream token signer and how the OFREP
// bulk answer advertises its stream. The handlers here are thin; package streams does the work.
type Streams struct {
	Hub    *streams.Hub
	Signer *streams.Signer
	// BaseURL, when set, is the evaluators' public URL: the bulk answer then advertises an absolute url.
	// Empty: it advertises endpoint.requestUri, which providers resolve against their configured OFREP
	// base URL's origin.
	BaseURL string
	// RefetchWait bounds how long a refetch naming a version this replica has not applied yet waits for it
	// (then 503 with Retry-After). Default 2 s.
	RefetchWait time.Duration

	adverts sync.Map // environment id → *advert
}

// advert is the eventStreams member of one environment's bulk answers while its token is current.
type advert struct {
	exp  int64
	json []byte
}

// ofrepStreamPath is the OFREP event stream's route.
const ofrepStreamPath = "/ofrep/v1/stream"

// inactivityDelaySec is what the bulk answer tells providers: close the stream after two minutes in a
// hidden tab (the spec's default), then reconnect and refetch on return.
const inactivityDelaySec = 120

// appendEventStreams inserts `,"eventStreams":[…]` before the closing brace of a bulk answer.
func (s *Server) appendEventStreams(body []byte, env *store.Env) []byte {
	if s.Streams == nil || len(body) == 0 {
		return body
	}
	return append(append(body[:len(body)-1], s.Streams.advert(env.ID)...), '}')
}

func (st *Streams) advert(envID int64) []byte {
	exp := st.Signer.Expiry()
	if a, ok := st.adverts.Load(envID); ok && a.(*advert).exp == exp {
		return a.(*advert).json
	}
	target := ofrepStreamPath + "?token=" + url.QueryEscape(st.Signer.Sign(envID, exp))
	b := []byte(`,"eventStreams":[{"type":"sse",`)
	if st.BaseURL != "" {
		b = append(b, `"url":`...)
		b = strconv.AppendQuote(b, strings.TrimSuffix(st.BaseURL, "/")+target)
	} else {
		b = append(b, `"endpoint":{"requestUri":`...)
		b = strconv.AppendQuote(b, target)
		b = append(b, '}')
	}
	b = append(b, `,"inactivityDelaySec":`...)
	b = strconv.AppendInt(b, inactivityDelaySec, 10)
	b = append(b, "}]"...)
	st.adverts.Store(envID, &advert{exp: exp, json: b})
	return b
}

// refetchTarget honours the metadata an OFREP provider sends back on the refetch an event triggered
// (flagConfigEtag, else flagConfigLastModified): when it names a newer configuration than this replica
// has (the refetch landed on a replica the change has not reached yet), the answer waits for it, up to
// RefetchWait, rather than present the old one as current.
func (s *Server) refetchTarget(c echo.Context, env *store.Env) (*store.Env, error) {
	if s.Streams == nil || c.Request().URL.RawQuery == "" {
		return env, nil
	}
	q := c.QueryParams()
	var ok func(*store.Env) bool
	if v, found := streams.ParseETag(q.Get("flagConfigEtag")); found {
		ok = func(e *store.Env) bool { return e.Version >= v }
	} else if lm, found := parseLastModified(q.Get("flagConfigLastModified")); found {
		ok = func(e *store.Env) bool { return e.PublishedAt.Unix() >= lm }
	}
	if ok == nil || ok(env) {
		return env, nil
	}
	wait := s.Streams.RefetchWait
	if wait <= 0 {
		wait = 2 * time.Second
	}
	newer, err := s.Streams.Hub.WaitFor(c.Request().Context(), env.ID, wait, ok)
	if err != nil {
		c.Response().Header().Set(echo.HeaderRetryAfter, "1")
		return nil, &ofrepErr{http.StatusServiceUnavailable, ofrepGeneral,
			"this evaluator has not received the flag configuration the event named yet; retry"}
	}
	return newer, nil
}

// parseLastModified reads flagConfigLastModified: unix seconds, or an RFC 3339 date-time.
func parseLastModified(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, n > 0
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Unix(), true
	}
	return 0, false
}

// ofrepStream serves GET /ofrep/v1/stream?token=…, the event stream the bulk answer advertises.
func (s *Server) ofrepStream(c echo.Context) error {
	envID, err := s.Streams.Signer.Verify(c.QueryParam("token"))
	if err == nil {
		if _, ok := s.Store.ByID(envID); !ok {
			err = errors.New("the stream token's environment is not served here")
		}
	}
	if err != nil {
		return writeJSON(c, http.StatusUnauthorized, map[string]string{
			"errorDetails": err.Error() + "; evaluate the flags again for a new stream URL"})
	}
	m, err := s.Streams.Hub.Join(envID)
	if err != nil {
		c.Response().Header().Set(echo.HeaderRetryAfter, "5")
		return writeJSON(c, http.StatusServiceUnavailable, map[string]string{"errorCode": ofrepGeneral, "errorDetails": err.Error()})
	}
	return s.serveStream(c, m, streams.NewOFREP(c.Request().Header.Get("Last-Event-ID")))
}

// posthogStream serves GET /stream/v1?token=…&kind=definitions|remote_eval, PostHog's stream gateway
// protocol. The token is the project's SDK key (as PostHog's gateway takes the project API key; browsers'
// EventSource cannot set headers) or its server key; Authorization: Bearer works too.
func (s *Server) posthogStream(c echo.Context) error {
	kind := c.QueryParam("kind")
	if kind != "definitions" && kind != "remote_eval" {
		return apperr.New(apperr.BadRequest, "invalid_kind", `kind must be "definitions" or "remote_eval"`)
	}
	key := c.QueryParam("token")
	if key == "" {
		key, _ = strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	}
	if key == "" {
		return apperr.New(apperr.BadRequest, "missing_token", "send the project's SDK key as ?token=")
	}
	if err := s.limit(key); err != nil {
		return err
	}
	env, ok := s.Store.BySDKKey(key)
	if !ok {
		if env, ok = s.Store.ByServerKey(key); !ok {
			return apperr.New(apperr.Unauthorized, "invalid_token", "the token is not a valid SDK or server key")
		}
	}
	m, err := s.Streams.Hub.Join(env.ID)
	if err != nil {
		c.Response().Header().Set(echo.HeaderRetryAfter, "60")
		return apperr.New(apperr.Unavailable, "streams_unavailable", "%s", err)
	}
	p := &streams.PostHog{Kind: kind, StaggerSeconds: int((s.Streams.Hub.Config().Stagger + time.Second - 1) / time.Second)}
	if kind == "definitions" {
		p.Version = definitionsVersion
	}
	return s.serveStream(c, m, p)
}

// definitionsVersion is the definitions beacon's version: the local-evaluation answer's ETag without its
// quotes, so a server SDK compares it with the ETag it holds.
func definitionsVersion(env *store.Env) string {
	d := definitionsOf(env)
	if d.Err != nil {
		return ""
	}
	return strings.Trim(strings.TrimPrefix(d.ETag, "W/"), `"`)
}

func (s *Server) serveStream(c echo.Context, m *streams.Member, p streams.Protocol) error {
	if err := s.Streams.Hub.Serve(c.Request().Context(), c.Response(), m, p); err != nil {
		s.Log.Debug("stream ended", zap.String("path", c.Path()), zap.Error(err))
	}
	return nil
}
