package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/labstack/echo/v4"
)

// answer shapes, chosen from the endpoint and ?v= as PostHog's flag service does.
type shape int

const (
	shapeFlagsV1 shape = iota
	shapeFlagsV2
	shapeDecideV1
	shapeDecideV2
)

// flagsShape: v ≥ 2 is the detailed shape, v = 1 (or unparseable) the legacy one; with neither v nor config
// PostHog answers the detailed shape with config (endpoint.rs: "Default to v=2 and config=true when both
// params are missing").
func flagsShape(q func(string) string) shape {
	v, cfg := q("v"), q("config")
	if v == "" {
		if cfg == "" {
			return shapeFlagsV2
		}
		return shapeFlagsV1
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 2 {
		return shapeFlagsV2
	}
	return shapeFlagsV1
}

// decideShape: /decide v=1 (or none) the enabled keys, 2 enabled values, 3 legacy, ≥ 4 detailed.
func decideShape(q func(string) string) shape {
	n, err := strconv.Atoi(q("v"))
	switch {
	case err != nil || n <= 1:
		return shapeDecideV1
	case n == 2:
		return shapeDecideV2
	case n == 3:
		return shapeFlagsV1
	}
	return shapeFlagsV2
}

func (s *Server) flags(c echo.Context) error {
	q := c.QueryParam
	withConfig := isTrue(q("config")) || (q("v") == "" && q("config") == "")
	return s.answerFlags(c, flagsShape(q), withConfig, evalFlags)
}

func (s *Server) decide(c echo.Context) error {
	return s.answerFlags(c, decideShape(c.QueryParam), true, evalDecide)
}

func isTrue(v string) bool { return v == "true" || v == "1" || v == "yes" }

// otherMethods answers GET and HEAD on /flags and /decide as PostHog does: GET is an answer with no flags,
// HEAD an empty 200. (OPTIONS is answered by the CORS middleware with 204 and Allow; other methods are 405.)
func otherMethods(shapeOf func(func(string) string) shape) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodHead {
			c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			return c.NoContent(http.StatusOK)
		}
		return writeShape(c, shapeOf(c.QueryParam), nil, false, true, nil)
	}
}

func (s *Server) answerFlags(c echo.Context, sh shape, withConfig bool, route evalRoute) error {
	req := c.Request()
	body, err := readBody(req)
	if err != nil {
		return err
	}
	fr, err := decodeFlagsRequest(req, *body)
	putBody(body)
	if err != nil {
		return err
	}
	token := fr.token()
	if token == "" {
		return apperr.New(apperr.Unauthorized, "missing_token",
			"the request has no project token: send token (or api_key) in the body")
	}
	if err := s.limit(token); err != nil {
		return err
	}
	env, ok := s.Store.BySDKKey(token)
	env, ok, err = s.atVersion(req, c.Response().Header(), env, ok, func() (*store.Env, bool) { return s.Store.BySDKKey(token) })
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.Unauthorized, "invalid_token", "the project token is not valid")
	}
	ctx, err := evalContext(fr)
	if err != nil {
		return err
	}
	keys, err := fr.flagKeys()
	if err != nil {
		return err
	}
	contexts, err := fr.evaluationContexts()
	if err != nil {
		return err
	}
	buf := getResults()
	defer putResults(buf)
	*buf = evaluate(env, keys, ctx, (*buf)[:0])
	if ej := envJSONOf(env); ej.Scoped {
		*buf = inScope(ej, *buf, requestRuntime(fr.EvaluationRuntime, req.Header), contexts)
	}
	s.Metrics.evaluated(route, len(*buf))
	return writeShape(c, sh, env, anyFailed(*buf), withConfig, *buf)
}

// resultsPool holds result slices for EvaluateAll's dst. A pooled slice still points into the environment
// version it last served until it is reused; that keeps at most a few old versions' payloads alive a little
// longer.
var resultsPool = sync.Pool{New: func() any { return new([]eval.Result) }}

func getResults() *[]eval.Result { return resultsPool.Get().(*[]eval.Result) }

func putResults(rs *[]eval.Result) {
	*rs = (*rs)[:0]
	resultsPool.Put(rs)
}

// evaluate answers every requested flag into dst, leaving out inactive ones as PostHog does (they are in its
// filtered_out_flag_ids and never reach the response; SDKs then report them as disabled).
func evaluate(env *store.Env, keys []string, ctx *eval.Context, dst []eval.Result) []eval.Result {
	var results []eval.Result
	if len(keys) > 0 {
		results = env.Engine.EvaluateKeys(keys, ctx, dst)
	} else {
		results = env.Engine.EvaluateAll(ctx, dst)
	}
	active := results[:0]
	for _, r := range results {
		if r.Reason.Code != eval.ReasonFlagDisabled {
			active = append(active, r)
		}
	}
	return active
}

func anyFailed(results []eval.Result) bool {
	for i := range results {
		if results[i].Failed {
			return true
		}
	}
	return false
}

// evalContext builds the engine's context: ids as strings, and every group's key as its "$group_key"
// property, as PostHog adds it.
func evalContext(fr *flagsRequest) (*eval.Context, error) {
	id := stringify(fr.DistinctID)
	if id == "" {
		return nil, apperr.New(apperr.BadRequest, "missing_distinct_id", "distinct_id is required")
	}
	device := stringify(fr.DeviceID)
	if device == "" {
		device = stringify(fr.DeviceIDPlain)
	}
	ctx := &eval.Context{DistinctID: id, DeviceID: device, AnonDistinctID: stringify(fr.AnonDistinctID),
		PersonProperties: fr.PersonProperties, GroupProperties: fr.GroupProperties}
	if len(fr.Groups) > 0 {
		ctx.Groups = make(map[string]string, len(fr.Groups))
		if ctx.GroupProperties == nil {
			ctx.GroupProperties = make(map[string]map[string]any, len(fr.Groups))
		}
		for typ, v := range fr.Groups {
			key := groupKey(v)
			if key == "" {
				continue
			}
			ctx.Groups[typ] = key
			props := ctx.GroupProperties[typ]
			if props == nil {
				props = map[string]any{}
				ctx.GroupProperties[typ] = props
			}
			if _, set := props["$group_key"]; !set {
				props["$group_key"] = key
			}
		}
	}
	return ctx, nil
}

// writeShape writes the answer of shape sh to the evaluated results (env is nil for an answer without flags).
func writeShape(c echo.Context, sh shape, env *store.Env, failed, withConfig bool, results []eval.Result) error {
	m := answerMeta{requestID: bodyRequestID(c), evaluatedAt: time.Now().UnixMilli(),
		withConfig: withConfig, hasFlags: env != nil && env.Engine.Len() > 0}
	var ej *envJSON
	if env != nil {
		ej = envJSONOf(env)
	}
	body := getBody()
	defer putBody(body)
	out, err := appendAnswer(*body, sh, ej, failed, m, results)
	*body = out
	if err != nil {
		return err
	}
	if wantsPretty(c) {
		out = indent(out)
	}
	return writeBody(c, http.StatusOK, out)
}

// payloadJSON is a payload as PostHog sends it: a JSON-encoded string. PostHog stores payloads that way, and
// SDKs (posthog-go before 1.6 among them) decode the field into a string, so a payload stored as raw JSON is
// sent as the string of its text. nil when there is none.
func payloadJSON(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		return raw
	}
	b, _ := json.Marshal(string(raw))
	return b
}
