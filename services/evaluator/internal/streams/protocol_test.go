package streams

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
)

func TestOFREPOpen(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	env := &store.Env{ID: 1, Version: 42, PublishedAt: time.UnixMilli(1771622898500), AppliedAt: now.Add(-time.Hour)}
	fresh := &store.Env{ID: 1, Version: 42, PublishedAt: env.PublishedAt, AppliedAt: now.Add(-time.Second)}
	event := "id: 42\nevent: message\ndata: {\"type\":\"refetchEvaluation\",\"etag\":\"\\\"v42\\\"\",\"lastModified\":1771622898}\n\n"
	for _, tc := range []struct {
		name, lastEventID string
		env               *store.Env
		want              string
		wantKnown         int64
	}{
		{"resumes behind: announced at once", "41", env, event, 42},
		{"resumes current: nothing", "42", env, "", 42},
		{"resumes ahead of this replica: waits for newer", "45", env, "", 45},
		{"new stream, old version: only the id", "", env, "id: 42\n\n", 42},
		{"new stream, version applied just now: announced", "", fresh, event, 42},
		{"unreadable Last-Event-ID is a new stream", "abc", env, "id: 42\n\n", 42},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewOFREP(tc.lastEventID)
			p.now = func() time.Time { return now }
			got, known := p.Open(nil, tc.env)
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("frames mismatch (-want +got):\n%s", diff)
			}
			if known != tc.wantKnown {
				t.Errorf("known version %d, want %d", known, tc.wantKnown)
			}
		})
	}
}

func TestParseETag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{ETag(42), 42, true},
		{`W/"v42"`, 42, true},
		{` "v7" `, 7, true},
		{`"42"`, 0, false},
		{`v42`, 0, false},
		{`"v-1"`, 0, false},
		{`"v0"`, 0, false},
		{`"0123456789abcdef"`, 0, false},
		{"", 0, false},
	} {
		v, ok := ParseETag(tc.in)
		if v != tc.want || ok != tc.ok {
			t.Errorf("ParseETag(%q) = %d, %t; want %d, %t", tc.in, v, ok, tc.want, tc.ok)
		}
	}
}

func TestPostHogBeacon(t *testing.T) {
	env := &store.Env{ID: 1, Version: 300}
	for _, tc := range []struct {
		name string
		p    PostHog
		want string
	}{
		{"remote_eval", PostHog{Kind: "remote_eval", StaggerSeconds: 1},
			"event: version\nid: 000000000000012c\ndata: {\"kind\":\"remote_eval\",\"version\":\"000000000000012c\",\"stagger_window_s\":1}\n\n"},
		{"definitions", PostHog{Kind: "definitions", StaggerSeconds: 2, Version: func(*store.Env) string { return "abc123" }},
			"event: version\nid: abc123\ndata: {\"kind\":\"definitions\",\"version\":\"abc123\",\"stagger_window_s\":2}\n\n"},
		{"unknown version: null, no id, and the window is never 0", PostHog{Kind: "definitions", Version: func(*store.Env) string { return "" }},
			"event: version\ndata: {\"kind\":\"definitions\",\"version\":null,\"stagger_window_s\":1}\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for what, got := range map[string][]byte{"open": first(tc.p.Open(nil, env)), "change": tc.p.Change(nil, env),
				"heartbeat": tc.p.Heartbeat(nil, env)} {
				if diff := cmp.Diff(tc.want, string(got)); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
				}
			}
		})
	}
}

func first(b []byte, _ int64) []byte { return b }
