package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/services/writer/internal/postgres/pgtest"
	"go.uber.org/zap"
)

// The tests in api_*_test.go run the real echo handler (Server.Handler) against the real postgres.DB on a
// fresh, migrated database, through httptest: every route's happy path and its main error codes.

const testAdminToken = "test-bootstrap-token-0123456789"

// api is the admin API under test and the token its calls send.
type api struct {
	tb    testing.TB
	h     http.Handler
	db    *postgres.DB
	token string

	events     *VersionFeed
	stopEvents func() // ends the feed's Run, as the writer's shutdown does, and waits for it
}

// testHeartbeat is how often an idle events stream sends a comment in these tests.
const testHeartbeat = 300 * time.Millisecond

// newAPI serves the admin API on a fresh database, authenticated as the bootstrap token.
func newAPI(tb testing.TB) *api {
	tb.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.FreshDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	var ready atomic.Bool
	ready.Store(true)
	events := NewVersionFeed(db, zap.NewNop(), FeedPoll(50*time.Millisecond), FeedHeartbeat(testHeartbeat))
	feedCtx, stopEvents := context.WithCancel(context.Background())
	feedDone := make(chan struct{})
	go func() { defer close(feedDone); events.Run(feedCtx) }()
	stop := func() { stopEvents(); <-feedDone }
	tb.Cleanup(stop)
	s := &Server{Environments: db, Flags: db, Cohorts: db, Bulk: db, Audit: db, Tokens: db, Definitions: db,
		Events: events, AdminToken: testAdminToken, Log: zap.NewNop(), Ready: &ready}
	return &api{tb: tb, h: s.Handler(), db: db, token: testAdminToken, events: events, stopEvents: stop}
}

// as is the same API called with another token.
func (a *api) as(token string) *api {
	b := *a
	b.token = token
	return &b
}

// raw is a request body sent as it is, with its content type.
type raw struct {
	contentType string
	body        string
}

// call sends one request; body is JSON-encoded unless it is nil or a raw. headers are name, value pairs.
func (a *api) call(method, path string, body any, headers ...string) *httptest.ResponseRecorder {
	a.tb.Helper()
	var r io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case raw:
		r, contentType = strings.NewReader(b.body), b.contentType
	default:
		js, err := json.Marshal(b)
		if err != nil {
			a.tb.Fatal(err)
		}
		r = bytes.NewReader(js)
	}
	req := httptest.NewRequest(method, "/api/v1"+path, r)
	if r != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

// ok sends a request that must answer status, and decodes its JSON answer into out (when not nil).
func (a *api) ok(method, path string, body any, status int, out any, headers ...string) *httptest.ResponseRecorder {
	a.tb.Helper()
	rec := a.call(method, path, body, headers...)
	if rec.Code != status {
		a.tb.Fatalf("%s %s: %d %s, want %d", method, path, rec.Code, rec.Body, status)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			a.tb.Fatalf("%s %s: decode %s: %v", method, path, rec.Body, err)
		}
	}
	return rec
}

// fails sends a request that must fail with status and code, and returns the error body.
func (a *api) fails(method, path string, body any, status int, code string, headers ...string) errorAnswer {
	a.tb.Helper()
	rec := a.call(method, path, body, headers...)
	var e errorAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		a.tb.Fatalf("%s %s: %d, body %q is not an error: %v", method, path, rec.Code, rec.Body, err)
	}
	if rec.Code != status || e.Code != code {
		a.tb.Fatalf("%s %s: %d %s, want %d %s", method, path, rec.Code, rec.Body, status, code)
	}
	return e
}

// errorAnswer is an error response with its details kept as JSON.
type errorAnswer struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
}

// problemPaths lists the paths of a validation error's problems.
func (e errorAnswer) problemPaths(tb testing.TB) []string {
	tb.Helper()
	var ps []struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(e.Details, &ps); err != nil {
		tb.Fatalf("details %s are not problems: %v", e.Details, err)
	}
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Path)
	}
	return out
}

// environment creates a project and an environment in it, and returns the environment.
func (a *api) environment(name string) environmentAnswer {
	a.tb.Helper()
	var p struct {
		ID int64 `json:"id"`
	}
	a.ok(http.MethodPost, "/projects", map[string]string{"name": name}, http.StatusCreated, &p)
	var env environmentAnswer
	a.ok(http.MethodPost, "/projects/"+idText(p.ID)+"/environments", map[string]string{"name": "prod"}, http.StatusCreated, &env)
	return env
}

type environmentAnswer struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Name      string `json:"name"`
	Version   int64  `json:"version"`
	SDKKey    string `json:"sdk_key"`
	ServerKey string `json:"server_key"`
}

func (e environmentAnswer) path(rest string) string { return "/environments/" + idText(e.ID) + rest }

// idText is an id as it appears in a path.
func idText(n int64) string { return strconv.FormatInt(n, 10) }
