package httpapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/labstack/echo/v4"
)

// answerMeta is what every /flags and /decide answer carries besides the flags.
type answerMeta struct {
	requestID   string
	evaluatedAt int64
	withConfig  bool // add the minimal client configuration (?config=true, /decide)
	hasFlags    bool // the environment has at least one flag (hasFeatureFlags)
}

// minimalConfigJSON is the client configuration PostHog adds with ?config=true and to /decide answers, so
// browser SDKs start without session recording, surveys or other PostHog-only features.
const minimalConfigJSON = `,"supportedCompression":["gzip","gzip-js"],"config":{"enable_collect_everything":true},` +
	`"toolbarParams":{},"isAuthenticated":false,"sessionRecording":false,"surveys":false,"heatmaps":false,` +
	`"capturePerformance":false,"autocaptureExceptions":false,"hasFeatureFlags":`

// appendAnswer appends the /flags or /decide answer of shape sh, as encoding/json's Encoder writes it (with
// its trailing newline). ej is nil when no environment was evaluated.
func appendAnswer(dst []byte, sh shape, ej *envJSON, failed bool, m answerMeta, results []eval.Result) ([]byte, error) {
	var err error
	switch sh {
	case shapeFlagsV2:
		dst = append(dst, `{"errorsWhileComputingFlags":`...)
		dst = appendBool(dst, failed)
		dst = append(dst, `,"flags":{`...)
		dst, err = appendDetails(dst, ej, byKey(results))
	case shapeFlagsV1:
		dst = append(dst, `{"errorsWhileComputingFlags":`...)
		dst = appendBool(dst, failed)
		dst = append(dst, `,"featureFlags":{`...)
		dst, err = appendValuesAndPayloads(dst, ej, results)
	case shapeDecideV1:
		dst = append(dst, `{"featureFlags":[`...)
		n := 0
		for i := range results {
			if results[i].Enabled {
				dst = appendComma(dst, n)
				dst = appendJSONString(dst, results[i].Key)
				n++
			}
		}
		dst = append(dst, ']')
	default:
		// the enabled flags' map: filtered before a duplicate key's last assignment is taken
		enabled := results
		if !sortedUnique(results) {
			enabled = slices.DeleteFunc(slices.Clone(results), func(r eval.Result) bool { return !r.Enabled })
		}
		dst = append(dst, `{"featureFlags":{`...)
		dst = appendValues(dst, ej, byKey(enabled), true)
		dst = append(dst, '}')
	}
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"requestId":`...)
	dst = appendJSONString(dst, m.requestID)
	dst = append(dst, `,"evaluatedAt":`...)
	dst = appendInt(dst, m.evaluatedAt)
	if m.withConfig {
		dst = append(dst, minimalConfigJSON...)
		dst = appendBool(dst, m.hasFlags)
	}
	return append(dst, "}\n"...), nil
}

func appendComma(dst []byte, n int) []byte {
	if n > 0 {
		return append(dst, ',')
	}
	return dst
}

// byKey is results in the order encoding/json writes a map of them: sorted by key, one per key (the last,
// as a map assignment keeps). EvaluateAll's results already are; EvaluateKeys' follow the request.
func byKey(results []eval.Result) []eval.Result {
	if sortedUnique(results) {
		return results
	}
	out := slices.Clone(results)
	slices.SortStableFunc(out, func(a, b eval.Result) int { return strings.Compare(a.Key, b.Key) })
	unique := out[:0]
	for i := range out {
		if i+1 < len(out) && out[i+1].Key == out[i].Key {
			continue
		}
		unique = append(unique, out[i])
	}
	return unique
}

func sortedUnique(results []eval.Result) bool {
	for i := 1; i < len(results); i++ {
		if results[i-1].Key >= results[i].Key {
			return false
		}
	}
	return true
}

// appendDetails appends the members of /flags v2's "flags" object and its closing brace.
func appendDetails(dst []byte, ej *envJSON, results []eval.Result) ([]byte, error) {
	hint := 0
	for i := range results {
		r := &results[i]
		f := flagOf(ej, r, &hint)
		p := payloadOf(f, r.Payload)
		if p.Err != nil {
			return dst, p.Err
		}
		dst = appendComma(dst, i)
		dst = append(dst, f.V2Head...)
		dst = appendBool(dst, r.Enabled)
		dst = append(dst, `,"variant":`...)
		dst = appendVariant(dst, r.Variant)
		if r.Failed {
			dst = append(dst, `,"failed":true`...)
		}
		dst = append(dst, `,"reason":{"code":`...)
		dst = appendReasonCode(dst, r.Reason.Code)
		dst = append(dst, `,"condition_index":`...)
		if r.Reason.ConditionIndex >= 0 {
			dst = appendIndex(dst, r.Reason.ConditionIndex)
		} else {
			dst = append(dst, "null"...)
		}
		if r.Reason.Description != "" {
			dst = append(dst, `,"description":`...)
			dst = appendJSONString(dst, r.Reason.Description)
		}
		if p.V2Tail != nil && r.FlagID == f.ID && r.Version == f.Version {
			dst = append(dst, p.V2Tail...)
		} else {
			dst = appendV2Tail(dst, r.FlagID, r.Version, f.Description, p.PostHog)
		}
	}
	return append(dst, '}'), nil
}

// appendReasonCode appends a reason code as a JSON string. The engine's codes are lower-case ASCII words,
// which need no escaping (TestReasonCodesNeedNoEscaping); anything else is escaped.
func appendReasonCode(dst []byte, code string) []byte {
	switch code {
	case eval.ReasonConditionMatch, eval.ReasonNoConditionMatch, eval.ReasonOutOfRolloutBound, eval.ReasonNoGroupType,
		eval.ReasonHoldoutConditionValue, eval.ReasonSuperConditionValue, eval.ReasonFlagDisabled,
		eval.ReasonMissingDependency, eval.ReasonDependencyNotFound, eval.ReasonDependencyCycle, eval.ReasonInvalidDefinition:
		dst = append(dst, '"')
		dst = append(dst, code...)
		return append(dst, '"')
	}
	return appendJSONString(dst, code)
}

// appendIndex appends a condition index; almost always one digit.
func appendIndex(dst []byte, i int) []byte {
	if 0 <= i && i < 10 {
		return append(dst, byte('0'+i))
	}
	return strconv.AppendInt(dst, int64(i), 10)
}

func appendVariant(dst []byte, v string) []byte {
	if v == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, v)
}

// appendValuesAndPayloads appends the legacy answer's featureFlags members, then its featureFlagPayloads
// object.
func appendValuesAndPayloads(dst []byte, ej *envJSON, results []eval.Result) ([]byte, error) {
	dst = appendValues(dst, ej, byKey(results), false)
	dst = append(dst, `},"featureFlagPayloads":{`...)
	if !sortedUnique(results) {
		// the payloads' map: only flags with a payload are assigned, so filter before taking the last
		results = slices.DeleteFunc(slices.Clone(results), func(r eval.Result) bool { return payloadJSON(r.Payload) == nil })
		results = byKey(results)
	}
	hint, n := 0, 0
	for i := range results {
		r := &results[i]
		f := flagOf(ej, r, &hint)
		p := payloadOf(f, r.Payload)
		if p.Err != nil {
			return dst, p.Err
		}
		if p.PostHog == nil {
			continue
		}
		dst = appendComma(dst, n)
		dst = append(dst, f.Quoted...)
		dst = append(dst, ':')
		dst = append(dst, p.PostHog...)
		n++
	}
	return append(dst, '}'), nil
}

// appendValues appends "key":value members, the value being the variant or enabled (PostHog's flag value);
// with onlyEnabled, for enabled flags only.
func appendValues(dst []byte, ej *envJSON, results []eval.Result, onlyEnabled bool) []byte {
	n := 0
	for i := range results {
		r := &results[i]
		if onlyEnabled && !r.Enabled {
			continue
		}
		dst = appendComma(dst, n)
		dst = appendJSONString(dst, r.Key)
		dst = append(dst, ':')
		if r.Variant != "" {
			dst = appendJSONString(dst, r.Variant)
		} else {
			dst = appendBool(dst, r.Enabled)
		}
		n++
	}
	return dst
}

// appendOFREP appends one flag's OFREP evaluation: a success object, or for a flag that failed closed an
// error object (and reports that).
func appendOFREP(dst []byte, ej *envJSON, r *eval.Result, hint *int) (out []byte, failed bool) {
	if r.Failed {
		dst = append(dst, '{')
		if r.Key != "" {
			dst = append(dst, `"key":`...)
			dst = appendJSONString(dst, r.Key)
			dst = append(dst, ',')
		}
		dst = append(dst, `"errorCode":"`+ofrepGeneral+`","errorDetails":`...)
		dst = appendJSONString(dst, r.Reason.Code+": "+r.Reason.Description)
		return append(dst, `,"reason":"`+ofrepError+`"}`...), true
	}
	f := flagOf(ej, r, hint)
	dst = append(dst, `{"key":`...)
	dst = append(dst, f.Quoted...)
	dst = append(dst, `,"value":`...)
	if r.Variant != "" {
		dst = appendJSONString(dst, r.Variant)
	} else {
		dst = appendBool(dst, r.Enabled)
	}
	dst = append(dst, `,"reason":"`...)
	dst = append(dst, ofrepReason(r.Reason.Code)...)
	dst = append(dst, '"')
	switch {
	case r.Variant != "":
		dst = append(dst, `,"variant":`...)
		dst = appendJSONString(dst, r.Variant)
	case !f.Multivariate:
		dst = append(dst, `,"variant":"`...)
		dst = appendBool(dst, r.Enabled)
		dst = append(dst, '"')
	}
	// metadata's members in encoding/json's (sorted) map order
	dst = append(dst, `,"metadata":{`...)
	if r.Reason.ConditionIndex >= 0 {
		dst = append(dst, `"conditionIndex":`...)
		dst = appendIndex(dst, r.Reason.ConditionIndex)
		dst = append(dst, ',')
	}
	if f.OFREPFlagID != nil && r.FlagID == f.ID {
		dst = append(dst, f.OFREPFlagID...)
	} else {
		dst = append(dst, `"flagId":`...)
		dst = appendInt(dst, r.FlagID)
	}
	dst = append(dst, ej.FlagSetID...)
	if p := payloadOf(f, r.Payload); p.OFREP != nil {
		dst = append(dst, `,"payload":`...)
		dst = append(dst, p.OFREP...)
	}
	dst = append(dst, `,"reasonCode":`...)
	dst = appendReasonCode(dst, r.Reason.Code)
	if f.OFREPTail != nil && r.Version == f.Version {
		return append(dst, f.OFREPTail...), false
	}
	dst = append(dst, `,"version":"`...)
	dst = appendInt(dst, r.Version)
	return append(dst, `"}}`...), false
}

// appendOFREPBulk appends OFREP's bulk answer; results must be sorted by key.
func appendOFREPBulk(dst []byte, ej *envJSON, results []eval.Result) []byte {
	dst = append(dst, `{"flags":[`...)
	hint := 0
	for i := range results {
		dst = appendComma(dst, i)
		dst, _ = appendOFREP(dst, ej, &results[i], &hint)
	}
	return append(dst, "]}"...)
}

var jsonContentType = []string{echo.MIMEApplicationJSON}

// writeBody sends a JSON answer in one write, with its length: net/http adds Content-Length itself to an
// answer that fits its 2 KiB chunking buffer; a larger one would otherwise be sent chunked.
func writeBody(c echo.Context, status int, body []byte) error {
	h := c.Response().Header()
	if _, set := h[echo.HeaderContentType]; !set {
		h[echo.HeaderContentType] = jsonContentType
	}
	if len(body) > 2048 {
		h[echo.HeaderContentLength] = []string{strconv.Itoa(len(body))}
	}
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(body)
	return err
}

// wantsPretty is when echo's c.JSON indents its answer (the PostHog routes answered through it before).
func wantsPretty(c echo.Context) bool {
	_, pretty := c.QueryParams()["pretty"]
	return pretty || c.Echo().Debug
}

// indent is the answer as json.Encoder with SetIndent("", "  ") writes it.
func indent(body []byte) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return body
	}
	return out.Bytes()
}
