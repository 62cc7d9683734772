// Package admin is a small client of Halyard's HTTP APIs for tools and tests: the writer's admin API and the
// evaluator's PostHog-compatible /flags endpoint.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Client talks to a writer.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// New returns a client for the writer at baseURL.
func New(baseURL, token string) *Client {
	// Keep a connection per concurrent caller: with net/http's default of 2 idle connections per host, a tool
	// with 16 concurrent callers opens a new TCP connection for most requests.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &Client{BaseURL: baseURL, Token: token, HTTP: &http.Client{Timeout: 10 * time.Second, Transport: tr}}
}

// Error is a non-2xx answer.
type Error struct {
	Status int
	Code   string `json:"code"`
	Msg    string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Msg) }

// Do sends method path with body encoded as JSON (nil = none), decodes a 2xx answer into out (nil = ignore),
// and returns the environment version header (0 when absent).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (int64, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode}
		_ = json.Unmarshal(data, e)
		return 0, e
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return 0, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	v, _ := strconv.ParseInt(resp.Header.Get("Halyard-Environment-Version"), 10, 64)
	return v, nil
}

// Environment is what creating an environment returns.
type Environment struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Name      string `json:"name"`
	Version   int64  `json:"version"`
	SDKKey    string `json:"sdk_key"`
	ServerKey string `json:"server_key"`
}

// CreateProjectAndEnvironment creates a project with one environment and returns the environment.
func (c *Client) CreateProjectAndEnvironment(ctx context.Context, project, env string) (Environment, error) {
	var p struct {
		ID int64 `json:"id"`
	}
	if _, err := c.Do(ctx, http.MethodPost, "/api/v1/projects", map[string]string{"name": project}, &p); err != nil {
		return Environment{}, err
	}
	var e Environment
	_, err := c.Do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/projects/%d/environments", p.ID), map[string]string{"name": env}, &e)
	return e, err
}

// FlagPath is the admin path of one flag.
func FlagPath(envID int64, key string) string {
	return fmt.Sprintf("/api/v1/environments/%d/flags/%s", envID, key)
}

// FlagsPath is the admin path of an environment's flags.
func FlagsPath(envID int64) string { return fmt.Sprintf("/api/v1/environments/%d/flags", envID) }
