package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/labstack/echo/v4"
)

// flagsRequest is PostHog's /flags request body.
type flagsRequest struct {
	Token            string                    `json:"token"`
	APIKey           string                    `json:"api_key"`
	DistinctID       any                       `json:"distinct_id"`
	PersonProperties map[string]any            `json:"person_properties"`
	Groups           map[string]any            `json:"groups"`
	GroupProperties  map[string]map[string]any `json:"group_properties"`
	FlagKeys         []string                  `json:"flag_keys_to_evaluate"`
}

// flagDetail is one flag of PostHog's v2 response.
type flagDetail struct {
	Key      string       `json:"key"`
	Enabled  bool         `json:"enabled"`
	Variant  *string      `json:"variant"`
	Reason   flagReason   `json:"reason"`
	Metadata flagMetadata `json:"metadata"`
}

type flagReason struct {
	Code           string `json:"code"`
	ConditionIndex *int   `json:"condition_index"`
	Description    string `json:"description"`
}

type flagMetadata struct {
	ID          int64           `json:"id"`
	Version     int64           `json:"version"`
	Description *string         `json:"description"`
	Payload     json.RawMessage `json:"payload"`
}

type flagsResponseV2 struct {
	Flags                     map[string]flagDetail `json:"flags"`
	ErrorsWhileComputingFlags bool                  `json:"errorsWhileComputingFlags"`
	RequestID                 string                `json:"requestId,omitempty"`
}

func (s *Server) flags(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxBodyBytes+1))
	if err != nil {
		return apperr.New(apperr.BadRequest, "invalid_body", "cannot read the request body")
	}
	if len(body) > MaxBodyBytes {
		return apperr.New(apperr.TooLarge, "body_too_large", "the request body is over 1 MiB")
	}
	var req flagsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return apperr.New(apperr.BadRequest, "invalid_json", "the body is not valid JSON")
	}
	token := req.Token
	if token == "" {
		token = req.APIKey
	}
	if token == "" {
		return apperr.New(apperr.Unauthorized, "missing_token", "the request has no token")
	}
	env, ok := s.Store.BySDKKey(token)
	if !ok {
		return apperr.New(apperr.Unauthorized, "invalid_token", "the token is not valid")
	}
	distinctID := stringify(req.DistinctID)
	if distinctID == "" {
		return apperr.New(apperr.BadRequest, "missing_distinct_id", "distinct_id is required")
	}
	ctx := eval.Context{DistinctID: distinctID, PersonProperties: req.PersonProperties,
		Groups: groupKeys(req.Groups), GroupProperties: req.GroupProperties}
	var results []eval.Result
	if len(req.FlagKeys) > 0 {
		results = env.Engine.EvaluateKeys(req.FlagKeys, &ctx, nil)
	} else {
		results = env.Engine.EvaluateAll(&ctx, nil)
	}
	resp := flagsResponseV2{Flags: make(map[string]flagDetail, len(results))}
	for _, r := range results {
		resp.Flags[r.Key] = detailOf(r, env.Engine)
	}
	return c.JSON(http.StatusOK, resp)
}

func detailOf(r eval.Result, engine *eval.Engine) flagDetail {
	d := flagDetail{Key: r.Key, Enabled: r.Enabled,
		Reason:   flagReason{Code: r.Reason.Code, Description: r.Reason.Description},
		Metadata: flagMetadata{ID: r.FlagID, Version: r.Version, Payload: r.Payload}}
	if r.Variant != "" {
		v := r.Variant
		d.Variant = &v
	}
	if r.Reason.ConditionIndex >= 0 {
		i := r.Reason.ConditionIndex
		d.Reason.ConditionIndex = &i
	}
	if f, ok := engine.Flag(r.Key); ok && f.Description != "" {
		desc := f.Description
		d.Metadata.Description = &desc
	}
	return d
}

// stringify turns a JSON distinct id or group key into PostHog's string form (numbers in decimal).
func stringify(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func groupKeys(groups map[string]any) map[string]string {
	if len(groups) == 0 {
		return nil
	}
	out := make(map[string]string, len(groups))
	for k, v := range groups {
		if s := stringify(v); s != "" {
			out[k] = s
		}
	}
	return out
}
