package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Response is a whole HTTP answer, for tests that check statuses and headers.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode %d answer %q: %w", r.Status, r.Body, err)
	}
	return nil
}

// Code is the error code of an error answer ("" when none).
func (r *Response) Code() string {
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Code
}

// Raw is a body sent as is (with its content type), instead of being encoded as JSON.
type Raw struct {
	ContentType string
	Data        []byte
}

// Request sends method path with body (nil = none, Raw = as is, anything else as JSON) and the extra
// headers, and returns the answer whatever its status.
func (c *Client) Request(ctx context.Context, method, path string, body any, headers map[string]string) (*Response, error) {
	var (
		rd    io.Reader
		ctype = "application/json"
	)
	switch b := body.(type) {
	case nil:
	case Raw:
		rd, ctype = bytes.NewReader(b.Data), b.ContentType
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// WithToken returns a copy of the client that sends another token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.Token = token
	return &cp
}
