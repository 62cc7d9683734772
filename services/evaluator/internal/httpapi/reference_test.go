package httpapi

// The reference rendering: the response structs and the encoding/json code that wrote every SDK answer
// before the appenders (render.go). render_test.go proves the appenders write the same bytes.

import (
	"encoding/json"
	"strconv"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/eval"
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

// refCommon is newCommon with the request id and time given.
func refCommon(m answerMeta) common {
	cm := common{RequestID: m.requestID, EvaluatedAt: m.evaluatedAt}
	if m.withConfig {
		cfg := minimalConfig
		cm.clientConfig = &cfg
	}
	return cm
}

// refShape is writeShape's answer, which it passed to c.JSON (encoding/json's Encoder).
func refShape(sh shape, env *store.Env, failed bool, cm common, results ...eval.Result) any {
	if cm.clientConfig != nil {
		cm.HasFeatureFlags = env != nil && env.Engine.Len() > 0
	}
	switch sh {
	case shapeFlagsV2:
		out := flagsV2{ErrorsWhileComputingFlags: failed, Flags: make(map[string]flagDetail, len(results)), common: cm}
		for i := range results {
			out.Flags[results[i].Key] = detailOf(&results[i], env)
		}
		return out
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
		return out
	case shapeDecideV1:
		out := decideV1{FeatureFlags: []string{}, common: cm}
		for i := range results {
			if results[i].Enabled {
				out.FeatureFlags = append(out.FeatureFlags, results[i].Key)
			}
		}
		return out
	}
	out := decideV2{FeatureFlags: map[string]any{}, common: cm}
	for i := range results {
		if results[i].Enabled {
			out.FeatureFlags[results[i].Key] = value(&results[i])
		}
	}
	return out
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

type ofrepSuccess struct {
	Key      string         `json:"key"`
	Value    any            `json:"value"`
	Reason   string         `json:"reason"`
	Variant  string         `json:"variant,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

type ofrepBulk struct {
	Flags []any `json:"flags"`
}

// toOFREP maps a PostHog result onto OFREP: boolean flags have a boolean value; multivariate flags the variant
// key, or false (PostHog's value) when no variant matched. The payload travels as JSON text in
// metadata.payload; PostHog's reason code and condition index in metadata too.
func toOFREP(r *eval.Result, env *store.Env) any {
	if r.Failed {
		return ofrepFailure{Key: r.Key, ErrorCode: ofrepGeneral, ErrorDetails: r.Reason.Code + ": " + r.Reason.Description,
			Reason: ofrepError}
	}
	out := ofrepSuccess{Key: r.Key, Value: r.Enabled, Reason: ofrepReason(r.Reason.Code),
		Metadata: map[string]any{"flagId": r.FlagID, "flagSetId": strconv.FormatInt(env.ID, 10),
			"version": strconv.FormatInt(r.Version, 10), "reasonCode": r.Reason.Code}}
	switch {
	case r.Variant != "":
		out.Value, out.Variant = r.Variant, r.Variant
	case !isMultivariate(env, r.Key):
		out.Variant = strconv.FormatBool(r.Enabled)
	}
	if r.Reason.ConditionIndex >= 0 {
		out.Metadata["conditionIndex"] = r.Reason.ConditionIndex
	}
	if p := payloadText(r.Payload); p != "" {
		out.Metadata["payload"] = p
	}
	return out
}

func isMultivariate(env *store.Env, key string) bool {
	f, ok := env.Engine.Flag(key)
	return ok && f.Filters.Multivariate != nil && len(f.Filters.Multivariate.Variants) > 0
}
