package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The hot paths: a PostHog /flags v2 request and an OFREP single evaluation over ten flags, through the
// whole echo handler (decode, authenticate, evaluate, encode).
func benchmarkRequest(b *testing.B, method, path string, body []byte, headers map[string]string) {
	s, _ := testServer(b)
	observeBench(b, s)
	h := s.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkFlagsV2(b *testing.B) {
	body := []byte(`{"token":"` + testSDKKey + `","distinct_id":"user-31","person_properties":{"email":"ada@example.com","country":"NL"},"groups":{"company":"7"},"group_properties":{"company":{"plan":"enterprise"}}}`)
	benchmarkRequest(b, http.MethodPost, "/flags/?v=2", body, nil)
}

func BenchmarkOFREPOne(b *testing.B) {
	body := []byte(`{"context":{"targetingKey":"user-31","email":"ada@example.com"}}`)
	benchmarkRequest(b, http.MethodPost, "/ofrep/v1/evaluate/flags/multi", body, map[string]string{"Authorization": "Bearer " + testSDKKey})
}

func BenchmarkOFREPBulk(b *testing.B) {
	body := []byte(`{"context":{"targetingKey":"user-31","email":"ada@example.com"}}`)
	benchmarkRequest(b, http.MethodPost, "/ofrep/v1/evaluate/flags", body, map[string]string{"Authorization": "Bearer " + testSDKKey})
}

func BenchmarkLocalEvaluation304(b *testing.B) {
	_, h := testServer(b)
	req := httptest.NewRequest(http.MethodGet, "/flags/definitions", nil)
	req.Header.Set("Authorization", "Bearer "+testServerKey)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	etag := rec.Header().Get("ETag")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/flags/definitions", nil)
		req.Header.Set("Authorization", "Bearer "+testServerKey)
		req.Header.Set("If-None-Match", etag)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			b.Fatal(rec.Code)
		}
	}
}
