package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// FlagDetail is one flag of a PostHog v2 /flags answer.
type FlagDetail struct {
	Key     string  `json:"key"`
	Enabled bool    `json:"enabled"`
	Variant *string `json:"variant"`
	Reason  struct {
		Code           string `json:"code"`
		ConditionIndex *int   `json:"condition_index"`
		Description    string `json:"description"`
	} `json:"reason"`
	Metadata struct {
		ID      int64           `json:"id"`
		Version int64           `json:"version"`
		Payload json.RawMessage `json:"payload"`
	} `json:"metadata"`
}

// FlagsResponse is a PostHog v2 /flags answer.
type FlagsResponse struct {
	Flags                     map[string]FlagDetail `json:"flags"`
	ErrorsWhileComputingFlags bool                  `json:"errorsWhileComputingFlags"`
}

// Flags asks the evaluator at baseURL for every flag of distinctID.
func Flags(ctx context.Context, hc *http.Client, baseURL, token, distinctID string, props map[string]any) (*FlagsResponse, int, error) {
	body, _ := json.Marshal(map[string]any{"token": token, "distinct_id": distinctID, "person_properties": props})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/flags?v=2", bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, fmt.Errorf("/flags answered %d: %s", resp.StatusCode, data)
	}
	var out FlagsResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, resp.StatusCode, err
	}
	return &out, resp.StatusCode, nil
}
