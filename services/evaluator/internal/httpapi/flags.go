package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/labstack/echo/v4"
)

// flagDetail is one flag of PostHog's v2 response.
type flagDetail struct {
	Key      string       `json:"key"`
	Enabled  bool         `json:"enabled"`
	Variant  *string      `json:"variant"`
	Failed   bool         `json:"failed,omitempty"`
	Reason   flagReason   `json:"reason"`
	Metadata flagMetadata `json:"metadata"`
}

type flagReason struct {
	Code           string `json:"code"`
	ConditionIndex *int   `json:"condition_index"`
	Description    string `json:"description,omitempty"`
}

type flagMetadata struct {
	ID          int64           `json:"id"`
	Version     int64           `json:"version"`
	Description *string         `json:"description"`
	Payload     json.RawMessage `json:"payload"`
}

// common is what every /flags and /decide answer carries.
type common struct {
	RequestID   string `json:"requestId"`
	EvaluatedAt int64  `json:"evaluatedAt"`
	*clientConfig
}

// clientConfig is the minimal remote configuration PostHog adds with ?config=true and to /decide answers, so
// browser SDKs start without session recording, surveys or other PostHog-only features.
type clientConfig struct {
	SupportedCompression  []string          `json:"supportedCompression"`
	Config                map[string]bool   `json:"config"`
	ToolbarParams         map[string]string `json:"toolbarParams"`
	IsAuthenticated       bool              `json:"isAuthenticated"`
	SessionRecording      bool              `json:"sessionRecording"`
	Surveys               bool              `json:"surveys"`
	Heatmaps              bool              `json:"heatmaps"`
	CapturePerformance    bool              `json:"capturePerformance"`
	AutocaptureExceptions bool              `json:"autocaptureExceptions"`
	HasFeatureFlags       bool              `json:"hasFeatureFlags"`
}

var minimalConfig = clientConfig{SupportedCompression: []string{"gzip", "gzip-js"},
	Config: map[string]bool{"enable_collect_everything": true}, ToolbarParams: map[string]string{}}

// flagsV2 is PostHog's detailed answer (/flags?v=2, /decide?v=4).
type flagsV2 struct {
	ErrorsWhileComputingFlags bool                  `json:"errorsWhileComputingFlags"`
	Flags                     map[string]flagDetail `json:"flags"`
	common
}

// flagsV1 is the legacy answer (/flags?v=1, /decide?v=3): values and payloads by key.
type flagsV1 struct {
	ErrorsWhileComputingFlags bool                       `json:"errorsWhileComputingFlags"`
	FeatureFlags              map[string]any             `json:"featureFlags"`
	FeatureFlagPayloads       map[string]json.RawMessage `json:"featureFlagPayloads"`
	common
}

// decideV1 lists the enabled flags' keys (/decide?v=1); decideV2 maps enabled flags to values (/decide?v=2).
type decideV1 struct {
	FeatureFlags []string `json:"featureFlags"`
	common
}

type decideV2 struct {
	FeatureFlags map[string]any `json:"featureFlags"`
	common
}

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
	return s.answerFlags(c, flagsShape(q), withConfig)
}

func (s *Server) decide(c echo.Context) error {
	return s.answerFlags(c, decideShape(c.QueryParam), true)
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
		return writeShape(c, shapeOf(c.QueryParam), nil, false, newCommon(c, true))
	}
}

func (s *Server) answerFlags(c echo.Context, sh shape, withConfig bool) error {
	req := c.Request()
	body, err := readBody(req)
	if err != nil {
		return err
	}
	fr, err := decodeFlagsRequest(req, body)
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
	if !ok {
		return apperr.New(apperr.Unauthorized, "invalid_token", "the project token is not valid")
	}
	ctx, err := evalContext(fr)
	if err != nil {
		return err
	}
	results := evaluate(env, fr.FlagKeys, ctx)
	return writeShape(c, sh, env, anyFailed(results), newCommon(c, withConfig), results...)
}

// evaluate answers every requested flag, leaving out inactive ones as PostHog does (they are in its
// filtered_out_flag_ids and never reach the response; SDKs then report them as disabled).
func evaluate(env *store.Env, keys []string, ctx *eval.Context) []eval.Result {
	var results []eval.Result
	if len(keys) > 0 {
		results = env.Engine.EvaluateKeys(keys, ctx, nil)
	} else {
		results = env.Engine.EvaluateAll(ctx, nil)
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

func newCommon(c echo.Context, withConfig bool) common {
	cm := common{RequestID: requestID(c.Request().Header.Get("X-Request-Id")), EvaluatedAt: time.Now().UnixMilli()}
	if withConfig {
		cfg := minimalConfig
		cm.clientConfig = &cfg
	}
	return cm
}

func writeShape(c echo.Context, sh shape, env *store.Env, failed bool, cm common, results ...eval.Result) error {
	if cm.clientConfig != nil {
		cm.HasFeatureFlags = env != nil && env.Engine.Len() > 0
	}
	switch sh {
	case shapeFlagsV2:
		out := flagsV2{ErrorsWhileComputingFlags: failed, Flags: make(map[string]flagDetail, len(results)), common: cm}
		for i := range results {
			out.Flags[results[i].Key] = detailOf(&results[i], env)
		}
		return c.JSON(http.StatusOK, out)
	case shapeFlagsV1:
		out := flagsV1{ErrorsWhileComputingFlags: failed, FeatureFlags: make(map[string]any, len(results)),
			FeatureFlagPayloads: map[string]json.RawMessage{}, common: cm}
		for i := range results {
			r := &results[i]
			out.FeatureFlags[r.Key] = value(r)
			if p := payloadJSON(r.Payload); p != nil {
				out.FeatureFlagPayloads[r.Key] = p
			}
		}
		return c.JSON(http.StatusOK, out)
	case shapeDecideV1:
		out := decideV1{FeatureFlags: []string{}, common: cm}
		for i := range results {
			if results[i].Enabled {
				out.FeatureFlags = append(out.FeatureFlags, results[i].Key)
			}
		}
		return c.JSON(http.StatusOK, out)
	}
	out := decideV2{FeatureFlags: map[string]any{}, common: cm}
	for i := range results {
		if results[i].Enabled {
			out.FeatureFlags[results[i].Key] = value(&results[i])
		}
	}
	return c.JSON(http.StatusOK, out)
}

// value is PostHog's flag value: the variant when there is one, else enabled.
func value(r *eval.Result) any {
	if r.Variant != "" {
		return r.Variant
	}
	return r.Enabled
}

func detailOf(r *eval.Result, env *store.Env) flagDetail {
	d := flagDetail{Key: r.Key, Enabled: r.Enabled, Failed: r.Failed,
		Reason:   flagReason{Code: r.Reason.Code, Description: r.Reason.Description},
		Metadata: flagMetadata{ID: r.FlagID, Version: r.Version, Payload: payloadJSON(r.Payload)}}
	if r.Variant != "" {
		v := r.Variant
		d.Variant = &v
	}
	if r.Reason.ConditionIndex >= 0 {
		i := r.Reason.ConditionIndex
		d.Reason.ConditionIndex = &i
	}
	if f, ok := env.Engine.Flag(r.Key); ok && f.Description != "" {
		desc := f.Description
		d.Metadata.Description = &desc
	}
	return d
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

// requestID echoes a valid X-Request-Id UUID, or makes a new random (version 4) one.
func requestID(h string) string {
	if isUUID(h) {
		return h
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexd[x>>4], hexd[x&0x0f]
		j += 2
	}
	return string(out)
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		ch := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if ch != '-' {
				return false
			}
			continue
		}
		if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F') {
			return false
		}
	}
	return true
}
