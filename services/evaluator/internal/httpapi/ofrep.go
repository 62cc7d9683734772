package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/crc32"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

// OpenFeature Remote Evaluation Protocol (open-feature/protocol service/openapi.yaml).
//
// The evaluation context maps onto PostHog's request: targetingKey is the distinct id; "groups" (group type →
// group key) and "groupProperties" (group type → properties) carry groups; "deviceId" is the device id;
// every other attribute is a person property.

// OFREP error codes.
const (
	ofrepParseError          = "PARSE_ERROR"
	ofrepTargetingKeyMissing = "TARGETING_KEY_MISSING"
	ofrepInvalidContext      = "INVALID_CONTEXT"
	ofrepFlagNotFound        = "FLAG_NOT_FOUND"
	ofrepGeneral             = "GENERAL"
)

// OFREP reasons.
const (
	ofrepTargetingMatch = "TARGETING_MATCH"
	ofrepSplit          = "SPLIT"
	ofrepDisabled       = "DISABLED"
	ofrepDefault        = "DEFAULT"
	ofrepUnknown        = "UNKNOWN"
	ofrepError          = "ERROR"
)

type ofrepFailure struct {
	Key          string `json:"key,omitempty"`
	ErrorCode    string `json:"errorCode"`
	ErrorDetails string `json:"errorDetails,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

// ofrepError is a failed OFREP request: its status and, except for 401/403/429, an errorCode.
type ofrepErr struct {
	status  int
	code    string
	details string
}

func (e *ofrepErr) Error() string { return e.code + ": " + e.details }

func (s *Server) ofrepOne(c echo.Context) error {
	key := c.Param("key")
	env, ctx, err := s.ofrepRequest(c)
	if err != nil {
		return s.ofrepFail(c, key, err)
	}
	r, ok := env.Engine.Evaluate(key, ctx)
	if !ok {
		return s.ofrepFail(c, key, &ofrepErr{http.StatusNotFound, ofrepFlagNotFound, "flag " + strconv.Quote(key) + " does not exist"})
	}
	body := getBody()
	defer putBody(body)
	hint := 0
	out, failed := appendOFREP(*body, envJSONOf(env), &r, &hint)
	*body = out
	if failed {
		return writeBody(c, http.StatusInternalServerError, out)
	}
	return writeBody(c, http.StatusOK, out)
}

func (s *Server) ofrepBulk(c echo.Context) error {
	env, ctx, err := s.ofrepRequest(c)
	if err == nil {
		env, err = s.refetchTarget(c, env)
	}
	if err != nil {
		return s.ofrepFail(c, "", err)
	}
	rs := getResults()
	defer putResults(rs)
	results := env.Engine.EvaluateAll(ctx, (*rs)[:0])
	*rs = results
	if !slices.IsSortedFunc(results, func(a, b eval.Result) int { return strings.Compare(a.Key, b.Key) }) {
		slices.SortFunc(results, func(a, b eval.Result) int { return strings.Compare(a.Key, b.Key) })
	}
	buf := getBody()
	defer putBody(buf)
	body := s.appendEventStreams(appendOFREPBulk(*buf, envJSONOf(env), results), env)
	*buf = body
	etag := bulkETag(body)
	c.Response().Header().Set(headerETag, etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return writeBody(c, http.StatusOK, body)
}

// castagnoli is the CRC-32C table (hardware-accelerated on amd64 and arm64).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// bulkETag is the bulk answer's ETag, a digest of the body, so a client polling with an unchanged context and
// an unchanged environment gets a 304. A cache validator needs no cryptographic hash (SHA-256 of the answer
// was a quarter of the handler's CPU): it is the answer's CRC-32 (IEEE) and CRC-32C, 64 bits in 16 hex
// digits, quoted as a strong tag. Both CRCs are fixed functions of the bytes, so every evaluator replica
// gives the same body the same tag.
func bulkETag(body []byte) string {
	ieee, c := crc32.ChecksumIEEE(body), crc32.Checksum(body, castagnoli)
	var b [18]byte
	b[0], b[17] = '"', '"'
	for i := 0; i < 8; i++ {
		b[1+i] = hexDigits[ieee>>(28-4*i)&0xF]
		b[9+i] = hexDigits[c>>(28-4*i)&0xF]
	}
	return string(b[:])
}

// ofrepRequest authenticates (SDK key or server key, as Authorization: Bearer or X-API-Key) and reads the
// evaluation context.
func (s *Server) ofrepRequest(c echo.Context) (*store.Env, *eval.Context, error) {
	req := c.Request()
	key := req.Header.Get("X-API-Key")
	if key == "" {
		key, _ = strings.CutPrefix(req.Header.Get(echo.HeaderAuthorization), "Bearer ")
	}
	if key == "" {
		return nil, nil, &ofrepErr{http.StatusUnauthorized, "", "send the SDK key as Authorization: Bearer <key> or X-API-Key"}
	}
	if err := s.limit(key); err != nil {
		return nil, nil, err
	}
	env, ok := s.Store.BySDKKey(key)
	if !ok {
		if env, ok = s.Store.ByServerKey(key); !ok {
			return nil, nil, &ofrepErr{http.StatusForbidden, "", "the key does not grant access to any environment"}
		}
	}
	body, err := readBody(req)
	if err != nil {
		return nil, nil, &ofrepErr{http.StatusRequestEntityTooLarge, ofrepParseError, "the request body is over 1 MiB"}
	}
	ctx, err := ofrepContext(*body)
	putBody(body)
	if err != nil {
		return nil, nil, err
	}
	return env, ctx, nil
}

func ofrepContext(body []byte) (*eval.Context, error) {
	attrs, err := ofrepAttrs(body)
	if err != nil {
		return nil, err
	}
	ctx := &eval.Context{}
	if tk, present := attrs["targetingKey"]; present {
		ctx.DistinctID = stringify(tk)
		if ctx.DistinctID == "" && tk != nil && tk != "" {
			return nil, &ofrepErr{http.StatusBadRequest, ofrepInvalidContext, "context.targetingKey must be a string"}
		}
	}
	if ctx.DistinctID == "" {
		return nil, &ofrepErr{http.StatusBadRequest, ofrepTargetingKeyMissing, "context.targetingKey is required"}
	}
	if err := ofrepGroups(attrs, ctx); err != nil {
		return nil, err
	}
	ctx.DeviceID = stringify(attrs["deviceId"])
	for _, k := range [...]string{"targetingKey", "groups", "groupProperties", "deviceId"} {
		delete(attrs, k)
	}
	ctx.PersonProperties = attrs
	return ctx, nil
}

// ofrepAttrs is the body's context object. The bodies SDKs send take one pass of parseJSON; anything else
// (and every error) goes through encoding/json as before, for the same answer and message.
func ofrepAttrs(body []byte) (map[string]any, error) {
	if doc, ok := parseJSON(body); ok {
		if m, ok := doc.(map[string]any); ok && !otherCaseOfContext(m) {
			if attrs, ok := m["context"].(map[string]any); ok {
				return attrs, nil
			}
		}
	}
	return ofrepAttrsDecoded(body)
}

// ofrepAttrsDecoded is ofrepAttrs through encoding/json.
func ofrepAttrsDecoded(body []byte) (map[string]any, error) {
	var req struct {
		Context json.RawMessage `json:"context"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := unmarshalNumbers(body, &req); err != nil {
			return nil, &ofrepErr{http.StatusBadRequest, ofrepParseError, "the body is not a JSON object: " + err.Error()}
		}
	}
	raw := bytes.TrimSpace(req.Context)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, &ofrepErr{http.StatusBadRequest, ofrepTargetingKeyMissing, "context.targetingKey is required"}
	}
	var attrs map[string]any
	if err := unmarshalNumbers(raw, &attrs); err != nil {
		return nil, &ofrepErr{http.StatusBadRequest, ofrepInvalidContext, "context must be an object"}
	}
	return attrs, nil
}

// otherCaseOfContext: a member encoding/json would also take for the context field (names match
// case-insensitively).
func otherCaseOfContext(m map[string]any) bool {
	for k := range m {
		if k != "context" && strings.EqualFold(k, "context") {
			return true
		}
	}
	return false
}

func ofrepGroups(attrs map[string]any, ctx *eval.Context) error {
	if attrs["groups"] == nil && attrs["groupProperties"] == nil {
		return nil // no groups: nothing to add
	}
	fr := flagsRequest{DistinctID: ctx.DistinctID}
	if g, ok := attrs["groups"]; ok && g != nil {
		m, ok := g.(map[string]any)
		if !ok {
			return &ofrepErr{http.StatusBadRequest, ofrepInvalidContext, "context.groups must map group types to keys"}
		}
		fr.Groups = m
	}
	if gp, ok := attrs["groupProperties"]; ok && gp != nil {
		m, ok := gp.(map[string]any)
		if !ok {
			return &ofrepErr{http.StatusBadRequest, ofrepInvalidContext, "context.groupProperties must map group types to objects"}
		}
		fr.GroupProperties = make(map[string]map[string]any, len(m))
		for typ, v := range m {
			props, ok := v.(map[string]any)
			if !ok {
				return &ofrepErr{http.StatusBadRequest, ofrepInvalidContext, "context.groupProperties." + typ + " must be an object"}
			}
			fr.GroupProperties[typ] = props
		}
	}
	full, err := evalContext(&fr)
	if err != nil {
		return err
	}
	ctx.Groups, ctx.GroupProperties = full.Groups, full.GroupProperties
	return nil
}

func ofrepReason(code string) string {
	switch code {
	case eval.ReasonConditionMatch, eval.ReasonSuperConditionValue:
		return ofrepTargetingMatch
	case eval.ReasonHoldoutConditionValue:
		return ofrepSplit
	case eval.ReasonFlagDisabled:
		return ofrepDisabled
	case eval.ReasonNoConditionMatch, eval.ReasonOutOfRolloutBound, eval.ReasonNoGroupType, eval.ReasonMissingDependency:
		return ofrepDefault
	}
	return ofrepUnknown
}

// payloadText is a payload as JSON text. PostHog stores payloads as JSON-encoded strings; those are unwrapped
// once, so {"true": "{\"a\":1}"} and {"true": {"a":1}} both give {"a":1}.
func payloadText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// ofrepFail writes an OFREP error: 401/403/429 with only errorDetails; the rest with errorCode (and the key
// on single-flag routes).
func (s *Server) ofrepFail(c echo.Context, key string, err error) error {
	var rl *rateLimited
	if errors.As(err, &rl) {
		c.Response().Header().Set(echo.HeaderRetryAfter, rl.retryAfterSeconds())
		return writeJSON(c, http.StatusTooManyRequests, ofrepFailure{ErrorCode: ofrepGeneral,
			ErrorDetails: "rate limit exceeded; retry after " + rl.retryAfterSeconds() + " seconds"})
	}
	var oe *ofrepErr
	if !errors.As(err, &oe) {
		s.Log.Error("OFREP request failed", zap.String("path", c.Path()), zap.Error(err))
		oe = &ofrepErr{http.StatusInternalServerError, ofrepGeneral, "internal error"}
	}
	if oe.code == "" {
		return writeJSON(c, oe.status, map[string]string{"errorDetails": oe.details})
	}
	return writeJSON(c, oe.status, ofrepFailure{Key: key, ErrorCode: oe.code, ErrorDetails: oe.details})
}

func writeJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}
