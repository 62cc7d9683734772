package admin

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/apperr"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"prod", "prod", true},
		{"  staging \n", "staging", true},
		{strings.Repeat("n", 200), strings.Repeat("n", 200), true},
		{strings.Repeat("n", 201), "", false},
		{" \t", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := ValidateName(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("ValidateName(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil {
			if diff := cmp.Diff([]string{"name"}, paths(problemsOf(t, err))); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		}
	}
}

func TestParseGroupTypes(t *testing.T) {
	tests := []struct {
		name  string
		in    map[string]string
		want  map[int]string
		paths []string
	}{
		{"empty", map[string]string{}, map[int]string{}, nil},
		{"valid", map[string]string{"0": " company ", "4": "team"}, map[int]string{0: "company", 4: "team"}, nil},
		{"index out of range", map[string]string{"5": "x"}, nil, []string{"5"}},
		{"negative index", map[string]string{"-1": "x"}, nil, []string{"-1"}},
		{"not a number", map[string]string{"a": "x"}, nil, []string{"a"}},
		{"blank name", map[string]string{"1": " "}, nil, []string{"1"}},
		{"long name", map[string]string{"1": strings.Repeat("n", 201)}, nil, []string{"1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGroupTypes(tt.in)
			if diff := cmp.Diff(tt.paths, paths(problemsOf(t, err))); diff != "" {
				t.Fatalf("problems mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateRotation(t *testing.T) {
	tests := []struct {
		kind  string
		grace int64
		want  time.Duration
		paths []string
	}{
		{"sdk", 0, 0, nil},
		{"server", 3600, time.Hour, nil},
		{"sdk", 7776000, MaxGrace, nil},
		{"sdk", 7776001, 0, []string{"grace_seconds"}},
		{"sdk", -1, 0, []string{"grace_seconds"}},
		{"sdk", 1 << 40, 0, []string{"grace_seconds"}}, // would overflow a Duration
		{"root", -1, 0, []string{"kind", "grace_seconds"}},
		{"", 0, 0, []string{"kind"}},
	}
	for _, tt := range tests {
		got, err := ValidateRotation(tt.kind, tt.grace)
		if diff := cmp.Diff(tt.paths, paths(problemsOf(t, err))); diff != "" {
			t.Errorf("ValidateRotation(%q, %d) problems mismatch (-want +got):\n%s", tt.kind, tt.grace, diff)
		}
		if err == nil && got != tt.want {
			t.Errorf("ValidateRotation(%q, %d) = %v, want %v", tt.kind, tt.grace, got, tt.want)
		}
	}
}

func TestWithoutKeys(t *testing.T) {
	e := Environment{ID: 1, Name: "prod", SDKKey: "phc_x", ServerKey: "phs_y"}
	if diff := cmp.Diff(Environment{ID: 1, Name: "prod"}, e.WithoutKeys()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestNotFoundErrors(t *testing.T) {
	tests := []struct {
		err  error
		code string
		kind apperr.Kind
	}{
		{ProjectNotFound(1), "project_not_found", apperr.NotFound},
		{EnvironmentNotFound(1), "environment_not_found", apperr.NotFound},
		{FlagNotFound(1, "k"), "flag_not_found", apperr.NotFound},
		{CohortNotFound(1, 2), "cohort_not_found", apperr.NotFound},
		{FlagExists(1, "k"), "flag_exists", apperr.Conflict},
		{ErrInvalidToken(), "invalid_token", apperr.Unauthorized},
	}
	for _, tt := range tests {
		if ae := apperr.As(tt.err); ae.Code != tt.code || ae.Kind != tt.kind {
			t.Errorf("%v: code %s kind %v, want %s %v", tt.err, ae.Code, ae.Kind, tt.code, tt.kind)
		}
	}
}
