package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "jetstream not ready", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := httptest.NewServer(mux)
	closed.Close()

	tests := []struct {
		url     string
		wantErr string // "" = healthy
	}{
		{srv.URL + "/ok", ""},
		{srv.URL + "/down", "HTTP 503 jetstream not ready"},
		{srv.URL + "/slow", "deadline exceeded"},
		{closed.URL + "/ok", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := probe(context.Background(), tt.url, 200*time.Millisecond)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("probe: %v, want healthy", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("probe: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
