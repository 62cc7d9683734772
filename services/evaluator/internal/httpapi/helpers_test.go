package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/flag"
	"github.com/halyard-flags/halyard/shared/wire"
	"go.uber.org/zap"
)

const (
	testSDKKey    = "phc_test_sdk_key"
	testServerKey = "phs_test_server_key"
)

// testServer is an evaluator API over one environment holding testdata/flags.json.
func testServer(tb testing.TB) (*Server, http.Handler) {
	tb.Helper()
	b, err := os.ReadFile("testdata/flags.json")
	if err != nil {
		tb.Fatal(err)
	}
	var flags []flag.Flag
	if err := json.Unmarshal(b, &flags); err != nil {
		tb.Fatal(err)
	}
	st := store.New()
	st.Apply(testSnapshot(flags, 1))
	ready := &atomic.Bool{}
	ready.Store(true)
	s := &Server{Store: st, Ready: ready, Log: zap.NewNop()}
	return s, s.Handler()
}

func testSnapshot(flags []flag.Flag, version int64) *wire.Snapshot {
	return &wire.Snapshot{Format: wire.FormatVersion, ProjectID: 1, EnvironmentID: 1, Version: version,
		Keys:       []wire.Key{{Kind: wire.KindSDK, Value: testSDKKey}, {Kind: wire.KindServer, Value: sha256Hex(testServerKey)}},
		GroupTypes: map[int]string{0: "company"},
		Cohorts: []flag.Cohort{{ID: 70, Name: "Dutch",
			Filters: json.RawMessage(`{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"country","type":"person","operator":"exact","value":["NL"]}]}]}}`)}},
		Flags: flags}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

type call struct {
	method, path string
	body         []byte
	headers      map[string]string
}

func do(tb testing.TB, h http.Handler, c call) *httptest.ResponseRecorder {
	tb.Helper()
	var rd io.Reader
	if c.body != nil {
		rd = bytes.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, c.path, rd)
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func decode[T any](tb testing.TB, rec *httptest.ResponseRecorder) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		tb.Fatalf("decode %T from %d %s: %v", v, rec.Code, rec.Body, err)
	}
	return v
}
