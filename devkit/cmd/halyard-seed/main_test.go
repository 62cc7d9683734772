package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeWriter answers the few admin calls the seed makes, from memory. The seed against the real writer is
// covered by infra/compose's cluster test; this one pins the create-or-reuse logic.
type fakeWriter struct {
	mu       sync.Mutex
	notReady int // /readyz answers 503 this many more times
	projects []named
	envs     map[int64][]named // by project
	keys     map[int64][]map[string]any
	posts    int
}

func (f *fakeWriter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/readyz" {
		if f.notReady > 0 {
			f.notReady--
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var body struct{ Name string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	var projectID, envID int64
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/projects":
		writeJSON(w, map[string]any{"projects": f.projects})
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/projects":
		f.posts++
		p := named{ID: int64(len(f.projects) + 1), Name: body.Name}
		f.projects = append(f.projects, p)
		writeJSON(w, p)
	case scan(r.URL.Path, "/api/v1/projects/%d/environments", &projectID) && r.Method == http.MethodGet:
		writeJSON(w, map[string]any{"environments": f.envs[projectID]})
	case scan(r.URL.Path, "/api/v1/projects/%d/environments", &projectID) && r.Method == http.MethodPost:
		f.posts++
		e := named{ID: 100 + int64(len(f.keys)), Name: body.Name}
		f.envs[projectID] = append(f.envs[projectID], e)
		key := fmt.Sprintf("phc_new%d", e.ID)
		f.keys[e.ID] = []map[string]any{{"kind": "sdk", "value": key, "expires_at": nil}}
		writeJSON(w, map[string]any{"id": e.ID, "name": e.Name, "sdk_key": key, "server_key": "phs_secret"})
	case scan(r.URL.Path, "/api/v1/environments/%d", &envID) && r.Method == http.MethodGet:
		writeJSON(w, map[string]any{"id": envID, "keys": f.keys[envID]})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func scan(path, format string, id *int64) bool {
	n, err := fmt.Sscanf(path, format, id)
	return err == nil && n == 1 && fmt.Sprintf(format, *id) == path
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

const testToken = "seed-test-admin-token"

func startWriter(tb testing.TB, f *fakeWriter) func(string) string {
	tb.Helper()
	if f.envs == nil {
		f.envs = map[int64][]named{}
	}
	if f.keys == nil {
		f.keys = map[int64][]map[string]any{}
	}
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	env := map[string]string{"HALYARD_WRITER_URL": srv.URL, "HALYARD_ADMIN_TOKEN": testToken, "HALYARD_SEED_TIMEOUT": "10s"}
	return func(k string) string { return env[k] }
}

func TestSeedCreatesThenReuses(t *testing.T) {
	f := &fakeWriter{notReady: 2}
	getenv := startWriter(t, f)
	var outs []string
	for range 2 {
		var out strings.Builder
		if err := run(context.Background(), &out, getenv); err != nil {
			t.Fatalf("run: %v", err)
		}
		outs = append(outs, out.String())
	}
	want := []string{
		"halyard-seed: created project \"Demo\" (id 1), environment \"development\" (id 100)\n" +
			"HALYARD_ENVIRONMENT_ID=100\nHALYARD_SDK_KEY=phc_new100\n",
		"halyard-seed: reused project \"Demo\" (id 1), environment \"development\" (id 100)\n" +
			"HALYARD_ENVIRONMENT_ID=100\nHALYARD_SDK_KEY=phc_new100\n",
	}
	if diff := cmp.Diff(want, outs); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
	if f.posts != 2 {
		t.Errorf("%d creations, want 2 (one project, one environment, nothing on the second run)", f.posts)
	}
}

func TestSeedReusesExisting(t *testing.T) {
	expired := time.Now().Add(time.Hour).Format(time.RFC3339)
	tests := []struct {
		name    string
		writer  *fakeWriter
		want    result
		wantErr string
	}{
		{
			name: "the oldest project of that name and the key that does not expire",
			writer: &fakeWriter{
				projects: []named{{ID: 3, Name: "Demo"}, {ID: 2, Name: "Demo"}, {ID: 1, Name: "Other"}},
				envs:     map[int64][]named{2: {{ID: 7, Name: "staging"}, {ID: 8, Name: "development"}}},
				keys: map[int64][]map[string]any{8: {
					{"kind": "sdk", "value": "phc_old", "expires_at": expired},
					{"kind": "server", "value": "", "expires_at": nil},
					{"kind": "sdk", "value": "phc_current", "expires_at": nil},
				}},
			},
			want: result{ProjectID: 2, EnvironmentID: 8, SDKKey: "phc_current"},
		},
		{
			name: "a project without the environment gets it",
			writer: &fakeWriter{
				projects: []named{{ID: 5, Name: "Demo"}},
				keys:     map[int64][]map[string]any{1: nil},
			},
			want: result{ProjectID: 5, EnvironmentID: 101, SDKKey: "phc_new101", Created: true},
		},
		{
			name: "an environment whose every SDK key expires",
			writer: &fakeWriter{
				projects: []named{{ID: 1, Name: "Demo"}},
				envs:     map[int64][]named{1: {{ID: 4, Name: "development"}}},
				keys:     map[int64][]map[string]any{4: {{"kind": "sdk", "value": "phc_old", "expires_at": expired}}},
			},
			wantErr: "environment 4 has no current SDK key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := startWriter(t, tt.writer)
			cfg, err := configFromEnv(getenv)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ensure(context.Background(), newClient(cfg), "Demo", "development")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSeedGivesUpOnAWriterThatNeverGetsReady(t *testing.T) {
	getenv := startWriter(t, &fakeWriter{notReady: 1 << 30})
	cfg, err := configFromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	err = waitReady(context.Background(), newClient(cfg), 200*time.Millisecond, 20*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "last: HTTP 503") {
		t.Errorf("err = %v, want a time-out naming the last answer, HTTP 503", err)
	}
}

func TestConfig(t *testing.T) {
	if _, err := configFromEnv(func(string) string { return "" }); err == nil {
		t.Error("no error without HALYARD_ADMIN_TOKEN")
	}
	got, err := configFromEnv(func(k string) string { return map[string]string{"HALYARD_ADMIN_TOKEN": "t"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := config{WriterURL: "http://writer:8080", Token: "t", Project: "Demo", Environment: "development", Timeout: 2 * time.Minute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
}
